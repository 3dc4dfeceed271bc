import { defineProject } from "vitest/config"

/**
 * The reliability suite: real server processes (the built everything example
 * and the CLI serving fixtures/app.mjs) fed hostile input. Needs `npm run build`.
 * Each file runs in its own process (forks), so its server processes are its children.
 */
export default defineProject({
  test: {
    name: "reliability",
    include: ["test/**/*.test.ts"],
    pool: "forks",
    testTimeout: 120_000,
    hookTimeout: 90_000
  }
})
