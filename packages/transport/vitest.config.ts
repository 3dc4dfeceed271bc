import { defineProject } from "vitest/config"
import { timeouts } from "../../vitest.shared.js"

export default defineProject({
  resolve: { conditions: ["@emcee/source"] },
  test: {
    ...timeouts,
    name: "transport",
    include: ["test/**/*.test.ts"],
    // global.gc for the memory-baseline tests (httpMemory.test.ts).
    pool: "forks",
    poolOptions: { forks: { execArgv: ["--expose-gc"] } }
  }
})
