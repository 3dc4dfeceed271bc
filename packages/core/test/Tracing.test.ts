import { describe, expect, it } from "@effect/vitest"
import { Middleware, Tool, Tracing } from "@emcee/core"
import * as TestClient from "@emcee/testing/TestClient"
import * as api from "@opentelemetry/api"
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks"
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Effect, Schema } from "effect"

const echo = Tool.make("echo", {
  input: Schema.Struct({ text: Schema.String }),
  handler: ({ text }) => Effect.succeed(text).pipe(Effect.withSpan("echo.inner"))
})
const broken = Tool.make("broken", { handler: () => Effect.die("boom") })

const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId

describe("Tracing (OpenTelemetry semantic conventions for MCP)", () => {
  it.scoped("a tools/call runs in a server span named after the method and tool, with a child handler span", () => {
    const exporter = new InMemorySpanExporter()
    return Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      yield* client.callTool("echo", { text: "hi" })
      const spans = exporter.getFinishedSpans()
      const request = spans.find((s) => s.name === "tools/call echo")
      const handler = spans.find((s) => s.name === "tool echo")
      const inner = spans.find((s) => s.name === "echo.inner")
      expect(request).toBeDefined()
      expect(request!.attributes).toMatchObject({
        "mcp.method.name": "tools/call",
        "jsonrpc.request.id": "1",
        "gen_ai.tool.name": "echo",
        "mcp.outcome": "ok"
      })
      expect(request!.kind).toBe(1) // SpanKind.SERVER
      expect(handler!.attributes).toMatchObject({ "gen_ai.tool.name": "echo" })
      expect(parentOf(request!)).toBeUndefined()
      expect(parentOf(handler!)).toBe(request!.spanContext().spanId)
      expect(parentOf(inner!)).toBe(handler!.spanContext().spanId)
      expect(handler!.spanContext().traceId).toBe(request!.spanContext().traceId)
    }).pipe(
      Effect.provide(TestClient.layerWith({ name: "traced", version: "1" }, echo, broken)),
      Effect.provide(Tracing.layer({ serviceName: "traced", spanProcessor: new SimpleSpanProcessor(exporter) }))
    )
  })

  it.scoped("every request gets a span; failures record mcp.outcome error and the JSON-RPC error code", () => {
    const exporter = new InMemorySpanExporter()
    return Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      yield* client.listTools()
      yield* Effect.flip(client.callTool("broken"))
      yield* Effect.flip(client.request("no/such/method"))
      const spans = exporter.getFinishedSpans()
      const names = spans.map((s) => s.name)
      expect(names).toEqual(expect.arrayContaining(["initialize", "tools/list", "tools/call broken", "no/such/method"]))
      expect(spans.find((s) => s.name === "tools/list")!.attributes).toMatchObject({ "mcp.method.name": "tools/list", "mcp.outcome": "ok" })
      expect(spans.find((s) => s.name === "tools/call broken")!.attributes).toMatchObject({ "mcp.outcome": "error", "rpc.jsonrpc.error_code": -32603 })
      expect(spans.find((s) => s.name === "no/such/method")!.attributes).toMatchObject({ "mcp.outcome": "error", "rpc.jsonrpc.error_code": -32601 })
    }).pipe(
      Effect.provide(TestClient.layerWith({ name: "traced", version: "1" }, echo, broken)),
      Effect.provide(Tracing.layer({ serviceName: "traced", spanProcessor: new SimpleSpanProcessor(exporter) }))
    )
  })

  it.scoped("W3C trace context in _meta parents the request span, under 2025-11-25 and 2026-07-28 (spec 2026-07-28 basic/index \"OpenTelemetry trace context\")", () => {
    const exporter = new InMemorySpanExporter()
    const traceId = "0af7651916cd43dd8448eb211c80319c"
    const traceparent = `00-${traceId}-00f067aa0ba902b7-01`
    return Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      yield* client.request("tools/call", { name: "echo", arguments: { text: "old" }, _meta: { traceparent } })
      yield* client.request("tools/call", {
        name: "echo",
        arguments: { text: "new" },
        _meta: {
          traceparent,
          "io.modelcontextprotocol/protocolVersion": "2026-07-28",
          "io.modelcontextprotocol/clientCapabilities": {}
        }
      })
      // A malformed traceparent is ignored: a new trace starts.
      yield* client.request("tools/call", { name: "echo", arguments: { text: "bad" }, _meta: { traceparent: `00-${"0".repeat(32)}-00f067aa0ba902b7-01` } })
      const requests = exporter.getFinishedSpans().filter((s) => s.name === "tools/call echo")
      expect(requests).toHaveLength(3)
      for (const span of requests.slice(0, 2)) {
        expect(span.spanContext().traceId).toBe(traceId)
        expect(parentOf(span)).toBe("00f067aa0ba902b7")
      }
      expect(requests[2]!.spanContext().traceId).not.toBe(traceId)
      expect(parentOf(requests[2]!)).toBeUndefined()
    }).pipe(
      Effect.provide(TestClient.layerWith({ name: "traced", version: "1" }, echo, broken)),
      Effect.provide(Tracing.layer({ serviceName: "traced", spanProcessor: new SimpleSpanProcessor(exporter) }))
    )
  })

  it.scoped("the active OpenTelemetry context follows the span when a context manager is registered, and costs nothing when none is", () => {
    let active: Array<string | undefined> = []
    const probe = Tool.make("probe", {
      handler: () => Effect.sync(() => {
        active.push(api.trace.getActiveSpan()?.spanContext().spanId)
        return "ok"
      })
    })
    const run = (options: { readonly propagateContext?: boolean }) => {
      // Closing the Layer shuts the exporter down: one per run.
      const exporter = new InMemorySpanExporter()
      return Effect.gen(function*() {
        active = []
        const client = yield* TestClient.TestClient
        yield* client.callTool("probe")
        const handler = exporter.getFinishedSpans().find((s) => s.name === "tool probe")!
        return { active: active[0], handler: handler.spanContext().spanId }
      }).pipe(
        Effect.provide(TestClient.layerWith({ name: "traced", version: "1" }, probe)),
        Effect.provide(Tracing.layer({ serviceName: "traced", spanProcessor: new SimpleSpanProcessor(exporter), ...options })),
        Effect.scoped
      )
    }
    return Effect.gen(function*() {
      // No context manager: nothing outside Effect could read the context, so none is made.
      expect((yield* run({})).active).toBeUndefined()
      const manager = new AsyncLocalStorageContextManager().enable()
      api.context.setGlobalContextManager(manager)
      yield* Effect.addFinalizer(() => Effect.sync(() => api.context.disable()))
      // A registered manager (as the Node SDK's auto-instrumentation does): the handler's span is active.
      const propagated = yield* run({})
      expect(propagated.active).toBe(propagated.handler)
      // Turned off explicitly.
      expect((yield* run({ propagateContext: false })).active).toBeUndefined()
    })
  })

  it.scopedLive("behind middleware the handler span starts when the handler does: middleware spans are its siblings, handler spans its children", () => {
    const exporter = new InMemorySpanExporter()
    const around = Middleware.make("around", (_request, next) =>
      Effect.zipRight(Effect.sleep("5 millis").pipe(Effect.withSpan("middleware.before")), next))
    return Effect.gen(function*() {
      const client = yield* TestClient.TestClient
      yield* client.callTool("echo", { text: "hi" })
      const spans = exporter.getFinishedSpans()
      const find = (name: string) => spans.find((s) => s.name === name)!
      const [request, handler, inner] = [find("tools/call echo"), find("tool echo"), find("echo.inner")]
      // The middleware runs for every request (initialize too): the one in this request's trace.
      const before = spans.find((s) => s.name === "middleware.before" && s.spanContext().traceId === request.spanContext().traceId)!
      expect(parentOf(handler)).toBe(request.spanContext().spanId)
      expect(parentOf(before)).toBe(request.spanContext().spanId)
      expect(parentOf(inner)).toBe(handler.spanContext().spanId)
      const nanos = (t: readonly [number, number]) => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1])
      expect(nanos(handler.startTime) >= nanos(before.endTime)).toBe(true)
      expect(request.attributes).toMatchObject({ "mcp.outcome": "ok", "gen_ai.tool.name": "echo" })
    }).pipe(
      Effect.provide(TestClient.layerWith({ name: "traced", version: "1" }, around, Middleware.logging, echo)),
      Effect.provide(Tracing.layer({ serviceName: "traced", spanProcessor: new SimpleSpanProcessor(exporter) }))
    )
  })
})
