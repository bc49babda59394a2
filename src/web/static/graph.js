// Filled in by issue 9's slices.
