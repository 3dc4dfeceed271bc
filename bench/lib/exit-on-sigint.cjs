// Preloaded (node --require) by bench/profile.mjs: a server with no SIGINT handler of its own
// exits normally on SIGINT, so that `node --cpu-prof` writes its profile (the default
// SIGINT action kills the process before the profile is written). Servers that handle
// SIGINT themselves (emcee's NodeRuntime.runMain) are left to do so.
process.once("SIGINT", () => {
  if (process.listenerCount("SIGINT") === 0) process.exit(0)
})
