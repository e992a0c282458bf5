import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/load-config.js';
import { DAEMON_NODE_OPTIONS } from '../../src/ops/node-options.js';
import { EventEncoder } from '../../src/events/event-encoder.js';
import { SchemaCatalog } from '../../src/schema/schema-catalog.js';
import { singleObjectWire } from '../../src/schema/wire-format.js';
import type { TableSchema } from '../../src/model/table-schema.js';

// No cluster exists here: these checks hold the fields of deploy/kubernetes/ that logtap's operation depends
// on (one publisher, probes on the daemon's endpoints, a config logtap accepts, secrets by reference).

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const read = (file: string): string => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
const docs = (file: string): Doc[] => parseAllDocuments(read(file)).map((d) => {
  if (d.errors.length) throw new Error(`${file}: ${d.errors[0]!.message}`);
  return d.toJS() as Doc;
});
const ofKind = (all: Doc[], kind: string): Doc => {
  const found = all.filter((d) => d.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!;
};
const secrets = docs('deploy/kubernetes/secret.example.yaml');

/** The ConfigMap's logtap.yaml, loaded by logtap's own config loader with the container's env names set. */
function connectorConfig(all: Doc[], env: string[]) {
  const configMap = ofKind(all, 'ConfigMap');
  const file = join(mkdtempSync(join(tmpdir(), 'logtap-k8s-')), 'logtap.yaml');
  writeFileSync(file, configMap.data['logtap.yaml']);
  return loadConfig({ file, env: Object.fromEntries(env.map((name) => [name, 'secret'])) });
}

const variants = [
  { file: 'deploy/kubernetes/logtap.yaml', replicas: 1, readyPath: '/readyz' },
  { file: 'deploy/kubernetes/logtap-ha.yaml', replicas: 2, readyPath: '/readyz?standby=ready' },
];

for (const variant of variants) {
  describe(variant.file, () => {
    const all = docs(variant.file);
    const deployment = ofKind(all, 'Deployment');
    const pod = deployment.spec.template.spec;
    const [container] = pod.containers as Doc[];
    const envNames = (container!.env as Doc[]).map((e) => e.name as string);

    it('holds a ConfigMap, a Deployment and a PodDisruptionBudget whose selectors match the pods', () => {
      const labels = deployment.spec.template.metadata.labels;
      expect(labels).toMatchObject(deployment.spec.selector.matchLabels);
      expect(labels).toMatchObject(ofKind(all, 'PodDisruptionBudget').spec.selector.matchLabels);
    });

    it('runs logtap with a config that logtap accepts, mounted from the ConfigMap', () => {
      expect(container!.args.slice(0, 2)).toEqual(['run', '--config']);
      const configPath: string = container!.args[2];
      const configVolume = (pod.volumes as Doc[]).find((v) => v.configMap?.name === ofKind(all, 'ConfigMap').metadata.name);
      const mount = (container!.volumeMounts as Doc[]).find((m) => m.name === configVolume?.name);
      expect(configPath).toBe(`${mount!.mountPath}/logtap.yaml`);
      const config = connectorConfig(all, envNames);
      expect(config.http.port).toBe(8080);
      // The kubelet probes and Prometheus scrapes come from outside the pod: the default 127.0.0.1 would refuse them.
      expect(config.http.host).toBe('0.0.0.0');
      expect(config.delivery).toBe('exactly-once');
    });

    it('takes every secret the config expands from Secret references, never inline', () => {
      const used = [...(ofKind(all, 'ConfigMap').data['logtap.yaml'] as string).matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]);
      expect(used.length).toBeGreaterThan(0);
      for (const name of used) {
        const env = (container!.env as Doc[]).find((e) => e.name === name);
        const ref = env?.valueFrom?.secretKeyRef;
        expect(ref, `${name} from a Secret`).toBeDefined();
        const secret = secrets.find((s) => s.metadata.name === ref.name);
        expect(Object.keys(secret?.stringData ?? {}), `${ref.name} holds ${ref.key}`).toContain(ref.key);
      }
      for (const v of (pod.volumes as Doc[]).filter((v) => v.secret)) expect(secrets.map((s) => s.metadata.name)).toContain(v.secret.secretName);
    });

    it('probes /healthz for liveness and /readyz for readiness on the config\'s HTTP port, and is scraped there', () => {
      const port = (container!.ports as Doc[]).find((p) => p.name === container!.livenessProbe.httpGet.port);
      expect(port?.containerPort).toBe(connectorConfig(all, envNames).http.port);
      expect(container!.livenessProbe.httpGet.path).toBe('/healthz');
      expect(container!.readinessProbe.httpGet).toEqual({ path: variant.readyPath, port: port!.name });
      expect(deployment.spec.template.metadata.annotations).toEqual({
        'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port!.containerPort), 'prometheus.io/path': '/metrics',
      });
    });

    it('is exact with its topics.partitions: a truncate marker reaches every partition of the table topic', async () => {
      const config = connectorConfig(all, envNames);
      expect(config.topics.partitions).toBeGreaterThan(1);
      const encoder = new EventEncoder({
        topicPrefix: config.topicPrefix, envelope: config.envelope, source: { connector: 'postgresql', database: 'shop', version: '0' },
        catalog: new SchemaCatalog('fail'), wire: singleObjectWire,
      });
      const table: TableSchema = { id: { namespace: 'public', name: 'orders' }, columns: [{ name: 'id', type: { kind: 'long' }, nullable: false, sourceType: 'bigint' }], key: ['id'] };
      // TopicManager creates the topic with topics.partitions and hands its count to the encoder.
      await encoder.prepare(table, async () => {}, config.topics.partitions);
      const markers = encoder.encode({ table, op: 't', position: { token: 'pg1:0/10#1', display: '' }, snapshot: false });
      expect(markers.map((m) => m.partition)).toEqual(Array.from({ length: config.topics.partitions }, (_, p) => p));
    });

    it('lets SIGTERM finish the in-flight transaction before Kubernetes kills the pod', () => {
      expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(connectorConfig(all, envNames).shutdownGraceMs);
    });

    it('requests and limits CPU and memory, and runs as a non-root user with a read-only root filesystem', () => {
      const { requests, limits } = container!.resources;
      for (const r of ['cpu', 'memory']) {
        expect(requests[r], `requests.${r}`).toBeDefined();
        expect(limits[r], `limits.${r}`).toBeDefined();
      }
      const mib = (q: string) => Number(/^(\d+)Mi$/.exec(q)?.[1] ?? /^(\d+)Gi$/.exec(q)?.[1] ?? NaN) * (q.endsWith('Gi') ? 1024 : 1);
      expect(mib(limits.memory)).toBeGreaterThanOrEqual(mib(requests.memory));
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect(container!.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
      // The heap limit stays under the container's memory limit.
      const heap = Number(/--max-old-space-size=(\d+)/.exec((container!.env as Doc[]).find((e) => e.name === 'NODE_OPTIONS')?.value ?? '')?.[1]);
      expect(heap).toBeLessThan(mib(limits.memory));
      // And the daemon's V8 options are the ones the image ships with.
      const options = ((container!.env as Doc[]).find((e) => e.name === 'NODE_OPTIONS')?.value as string).split(/\s+/);
      expect(options).toEqual(expect.arrayContaining([...DAEMON_NODE_OPTIONS]));
    });

    it(`runs ${variant.replicas} replica(s) so that at most one publishes`, () => {
      expect(deployment.spec.replicas).toBe(variant.replicas);
      const pdb = ofKind(all, 'PodDisruptionBudget').spec;
      if (variant.replicas === 1) {
        // Recreate: the old pod is gone before the new one starts.
        expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
        expect(pdb.maxUnavailable).toBe(1);
      } else {
        // Never more pods than replicas during a rollout; one pod stays through evictions.
        expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } });
        expect(pdb.minAvailable).toBe(1);
        expect(pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey).toBe('kubernetes.io/hostname');
      }
    });
  });
}

describe('Dockerfile', () => {
  const text = read('Dockerfile');
  const stages = text.split(/^FROM /m).slice(1);

  it('builds in one stage and ships a slim runtime stage without dev dependencies, as a non-root user', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const runtime = stages.at(-1)!;
    expect(runtime).toMatch(/^node:\d+-\w+-slim/);
    expect(runtime).not.toMatch(/npm (ci|install)/);
    expect(text).toMatch(/npm prune --omit=dev/);
    expect(/^USER (\S+)/m.exec(runtime)?.[1]).toMatch(/^(?!root$|0$)/);
    expect(runtime).toMatch(/^EXPOSE 8080$/m);
    expect(/^ENV NODE_OPTIONS=(.*)$/m.exec(runtime)?.[1]?.split(/\s+/)).toEqual([...DAEMON_NODE_OPTIONS]);
  });
});
