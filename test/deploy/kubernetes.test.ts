/**
 * deploy/k8s validated offline: every object against the Kubernetes JSON schemas bundled in
 * kubernetes-models (and KEDA's in @kubernetes-models/keda), then what the schemas cannot
 * know: the ScaledObject watches the group and topic kraul really uses, the workloads run
 * the roles kraul has, and the kustomization lists every file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { groupId, topicNames } from '@kraul/protocol';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { ConfigMap, Namespace, Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const dir = join(import.meta.dirname, '..', '..', 'deploy', 'k8s');

interface Manifest {
  file: string;
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  // biome-ignore lint/suspicious/noExplicitAny: free-form Kubernetes objects
  spec?: any;
  data?: Record<string, string>;
}

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'batch/v1/Job': Job,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
};

function manifests(): Manifest[] {
  const files = readdirSync(dir).filter((name) => name.endsWith('.yaml') && name !== 'kustomization.yaml');
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
      return { file, ...(doc.toJS() as Omit<Manifest, 'file'>) };
    }),
  );
}

const byKind = (kind: string, name: string) => {
  const found = manifests().find((m) => m.kind === kind && m.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in deploy/k8s`);
  return found;
};

describe('deploy/k8s', () => {
  it('holds only objects valid against the Kubernetes and KEDA schemas', () => {
    const all = manifests();
    expect(all.length).toBeGreaterThanOrEqual(8);
    for (const manifest of all) {
      const { file, ...object } = manifest;
      const Model = MODELS[`${object.apiVersion}/${object.kind}`];
      expect(Model, `${file}: ${object.apiVersion} ${object.kind} has no schema here`).toBeDefined();
      expect(
        () => new Model!(object as never).validate(),
        `${file}: ${object.kind} ${object.metadata.name}`,
      ).not.toThrow();
    }
  });

  it('rejects a broken object, so the validation above can fail', () => {
    const deployment = byKind('Deployment', 'kraul-crawler');
    const broken = { ...deployment, spec: { ...deployment.spec, replicas: 'two' } };
    expect(() => new Deployment(broken as never).validate()).toThrow();
  });

  it('lists every manifest in the kustomization', () => {
    const kustomization = parseAllDocuments(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'))[0]!.toJS();
    const files = readdirSync(dir).filter((name) => name.endsWith('.yaml') && name !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
  });

  it('scales the crawlers on the lag of the group and topic kraul uses', () => {
    const config = byKind('ConfigMap', 'kraul').data!;
    const prefix = config['KRAUL_KAFKA_TOPIC_PREFIX']!;
    const scaled = byKind('ScaledObject', 'kraul-crawler');
    const crawlers = byKind('Deployment', 'kraul-crawler');
    expect(scaled.spec.scaleTargetRef.name).toBe(crawlers.metadata.name);
    const [trigger] = scaled.spec.triggers;
    expect(trigger.type).toBe('kafka');
    expect(trigger.metadata.consumerGroup).toBe(groupId(prefix, 'crawlers'));
    expect(trigger.metadata.topic).toBe(topicNames(prefix).todo);
    expect(trigger.metadata.bootstrapServers).toBe(config['KRAUL_KAFKA_BROKERS']);
    // More crawlers than partitions would idle.
    expect(scaled.spec.maxReplicaCount).toBeLessThanOrEqual(Number(config['KRAUL_KAFKA_PARTITIONS']));
  });

  it('runs each role from the one image, probed on /readyz, with the frontier on its own volume', () => {
    const roles = [
      ['StatefulSet', 'kraul-frontier', 'frontier'],
      ['Deployment', 'kraul-strategy', 'strategy'],
      ['Deployment', 'kraul-crawler', 'crawler'],
    ] as const;
    for (const [kind, name, role] of roles) {
      const [container] = byKind(kind, name).spec.template.spec.containers;
      expect(container.image).toBe('kraul');
      expect(container.args).toEqual([role]);
      expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    }
    const frontier = byKind('StatefulSet', 'kraul-frontier').spec;
    expect(frontier.replicas).toBe(1);
    const mount = frontier.template.spec.containers[0].volumeMounts[0];
    expect(mount.name).toBe(frontier.volumeClaimTemplates[0].metadata.name);
    expect(byKind('Job', 'kraul-topics').spec.template.spec.containers[0].args).toEqual(['topics', 'create']);
  });
});
