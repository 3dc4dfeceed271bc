/**
 * The deployment files of `emcee init`: `--docker` (a multi-stage
 * Dockerfile, .dockerignore, compose.yaml) and `--k8s` (a Deployment with
 * probes on /health, a Service, a PodDisruptionBudget). Every server runs
 * over Streamable HTTP in a container; minimal and folder servers through
 * `emcee serve` with `EMCEE_TRANSPORT=http`.
 *
 * @internal
 */
import { type GeneratedFile, layout, PORT, type ProjectOptions, shortName } from "./initProject.js"

/** `node -e` code that exits 0 when `/health` answers 2xx: no curl in the slim image. */
export const healthCheckScript = (portVariable: string): string =>
  `fetch('http://127.0.0.1:'+(process.env.${portVariable}||${PORT})+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`

/** The environment of the server in a container: HTTP on every interface. */
const containerEnv = (options: ProjectOptions): ReadonlyArray<readonly [string, string]> => {
  const at = layout(options.template)
  return [
    ["NODE_ENV", "production"],
    ...(at.http ? [] : [["EMCEE_TRANSPORT", "http"] as const]),
    [at.hostVariable, "0.0.0.0"],
    [at.portVariable, String(PORT)]
  ]
}

/** The variables of the auth template, given to containers from the environment (compose) or a Secret (Kubernetes). */
const authVariables = ["RESOURCE_URL", "JWT_ISSUER", "JWT_AUDIENCE", "JWT_JWKS_URL", "JWT_SECRET"] as const

const dockerfile = (options: ProjectOptions): string => {
  const at = layout(options.template)
  const name = shortName(options.name)
  const cmd = JSON.stringify(["node", ...at.startArgs])
  const env = containerEnv(options).map(([k, v]) => `${k}=${v}`).join(" \\\n    ")
  return `# syntax=docker/dockerfile:1
# ${name}: docker build -t ${name} . && docker run --rm -p ${PORT}:${PORT} ${name}

# ---- build: install everything, ${options.template === "folder" ? "check the types" : "compile TypeScript"}, then keep production dependencies only
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json* ./
RUN if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# ---- runtime: production dependencies and the ${at.runtimeFolder === "dist" ? "compiled server" : "server's sources (served directly)"}, as the non-root node user
FROM node:20-slim AS runtime
ENV ${env}
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/${at.runtimeFolder} ./${at.runtimeFolder}
USER node
EXPOSE ${PORT}
# Liveness: GET /health with node's fetch (no curl needed).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \\
  CMD ${JSON.stringify(["node", "-e", healthCheckScript(at.portVariable)])}
# SIGTERM drains requests in flight, then exits.
STOPSIGNAL SIGTERM
CMD ${cmd}
`
}

const dockerignore = `node_modules
dist
.git
.gitignore
.env
*.log
test
k8s
compose.yaml
Dockerfile
.dockerignore
README.md
`

const compose = (options: ProjectOptions): string => {
  const name = shortName(options.name)
  const at = layout(options.template)
  const env = containerEnv(options).map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`)
  const auth = options.template === "auth"
    ? authVariables.map((k) =>
      // Required ones stop `docker compose up` with a message when unset; the key alone passes the shell's value, if any.
      k === "JWT_SECRET" || k === "JWT_JWKS_URL" ? `      ${k}:` : `      ${k}: ${JSON.stringify(`\${${k}:?set ${k} (see .env.example)}`)}`
    )
    : []
  return `# docker compose up -d: builds the image and runs ${name} on port ${PORT}.
services:
  ${name}:
    build: .
    image: ${name}:0.1.0
    ports:
      - "${PORT}:${PORT}"
    environment:
${[...env, ...auth].join("\n")}
    restart: unless-stopped
    read_only: true
    tmpfs:
      - /tmp
    healthcheck:
      test: ${JSON.stringify(["CMD", "node", "-e", healthCheckScript(at.portVariable)])}
      interval: 30s
      timeout: 5s
      retries: 3
      start_period: 10s
`
}

const labels = (name: string) => `app.kubernetes.io/name: ${name}`

const deployment = (options: ProjectOptions): string => {
  const name = shortName(options.name)
  const env = containerEnv(options).map(([k, v]) => `            - name: ${k}\n              value: ${JSON.stringify(v)}`)
  const envFrom = options.template === "auth"
    ? `
          # RESOURCE_URL, JWT_ISSUER, JWT_AUDIENCE, JWT_JWKS_URL (or JWT_SECRET):
          # kubectl create secret generic ${name}-auth --from-env-file=.env
          envFrom:
            - secretRef:
                name: ${name}-auth`
    : ""
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels:
    ${labels(name)}
spec:
  replicas: 2
  selector:
    matchLabels:
      ${labels(name)}
  template:
    metadata:
      labels:
        ${labels(name)}
    spec:
      # SIGTERM drains requests in flight (readiness turns 503 at once), then the server exits.
      terminationGracePeriodSeconds: 30
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        # The node user of the node:20-slim image.
        runAsUser: 1000
        runAsGroup: 1000
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: ${name}
          image: ${name}:0.1.0
          imagePullPolicy: IfNotPresent
          ports:
            - name: http
              containerPort: ${PORT}
          env:
${env.join("\n")}${envFrom}
          livenessProbe:
            httpGet:
              path: /health
              port: http
            initialDelaySeconds: 5
            periodSeconds: 10
            timeoutSeconds: 3
            failureThreshold: 3
          readinessProbe:
            httpGet:
              path: /health/ready
              port: http
            periodSeconds: 5
            timeoutSeconds: 3
            failureThreshold: 2
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
            limits:
              cpu: "1"
              memory: 256Mi
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        # The only writable place: the root filesystem is read-only.
        - name: tmp
          emptyDir: {}
`
}

const service = (options: ProjectOptions): string => {
  const name = shortName(options.name)
  return `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  labels:
    ${labels(name)}
spec:
  type: ClusterIP
  selector:
    ${labels(name)}
  ports:
    - name: http
      port: 80
      targetPort: http
`
}

const pdb = (options: ProjectOptions): string => {
  const name = shortName(options.name)
  return `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: ${name}
  labels:
    ${labels(name)}
spec:
  # Voluntary disruptions (node drains, upgrades) keep one pod serving.
  minAvailable: 1
  selector:
    matchLabels:
      ${labels(name)}
`
}

/** The files `--docker` adds. */
export const dockerFiles = (options: ProjectOptions): ReadonlyArray<GeneratedFile> => [
  { path: "Dockerfile", content: dockerfile(options) },
  { path: ".dockerignore", content: dockerignore },
  { path: "compose.yaml", content: compose(options) }
]

/** The files `--k8s` adds. */
export const k8sFiles = (options: ProjectOptions): ReadonlyArray<GeneratedFile> => [
  { path: "k8s/deployment.yaml", content: deployment(options) },
  { path: "k8s/service.yaml", content: service(options) },
  { path: "k8s/pdb.yaml", content: pdb(options) }
]
