import { defineProject } from "vitest/config"

export default defineProject({
  resolve: { conditions: ["@emcee/source"] },
  test: {
    name: "transport",
    include: ["test/**/*.test.ts"],
    // global.gc for the memory-baseline tests (httpMemory.test.ts).
    pool: "forks",
    poolOptions: { forks: { execArgv: ["--expose-gc"] } }
  }
})
