import { defineProject } from "vitest/config"

export default defineProject({
  resolve: { conditions: ["@emcee/source"] },
  // vitest runs tests in Vite's SSR environment, which has its own conditions.
  ssr: { resolve: { conditions: ["@emcee/source"] } },
  test: { name: "gateway", include: ["test/**/*.test.ts"] }
})
