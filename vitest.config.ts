import { availableParallelism } from "node:os"
import { defineConfig } from "vitest/config"
import workspace from "./vitest.workspace.js"

export default defineConfig({
  test: {
    projects: workspace,
    reporters: ["default"],
    // Vitest's default is one worker fewer than the cores: one on the 2-core CI machine. Many files mostly
    // wait on the processes they start, so two there (and every core on larger machines) finish sooner.
    maxWorkers: Math.max(2, availableParallelism())
  }
})
