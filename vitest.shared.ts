/**
 * Test options every project shares. A project's own config file does not
 * inherit the root config's `test` options, so each project spreads these
 * into its own (`reliability/` sets longer ones for its server processes).
 */
export const timeouts = {
  // Processes start slowly on a busy 2-core machine; a test that hangs still fails.
  testTimeout: 30_000,
  hookTimeout: 60_000
}
