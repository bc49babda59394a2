/** A large value kept as a file in the run's artifacts folder; run state holds only this reference. */
export interface ArtifactRef {
  artifact: true;
  /** Path relative to the data folder, always with forward slashes: `artifacts/<run key>/<file>`. */
  path: string;
  sha256: string;
  size: number;
  /** The name the person knows it by (an upload's original file name). */
  name: string;
  mime?: string;
}

export function isArtifactRef(v: unknown): v is ArtifactRef {
  return typeof v === 'object' && v !== null && (v as { artifact?: unknown }).artifact === true &&
    typeof (v as { path?: unknown }).path === 'string' && typeof (v as { sha256?: unknown }).sha256 === 'string';
}
