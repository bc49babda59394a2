// Where `railbook serve` listens unless told otherwise. A module of its own so the CLI can show
// the defaults in --help without loading the web app.
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8765;
