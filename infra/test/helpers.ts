// Builds the app for tests without building Rust ('aws:cdk:bundling-stacks': []),
// with the same feature flags as cdk.json.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Validations, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { buildApp, type BuiltApp } from '../lib/app';
import type { FunctionSpec } from '../lib/functions';
import { nagPacks } from '../lib/nag';

export const ACCOUNT = '123456789012';

const cdkJson = JSON.parse(readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')) as {
  context: Record<string, unknown>;
};

export interface TestAppOptions {
  readonly context?: Record<string, unknown>;
  readonly functions?: readonly FunctionSpec[];
  readonly nag?: boolean;
}

export function testApp(options: TestAppOptions = {}): BuiltApp & { app: App } {
  const app = new App({
    context: { ...cdkJson.context, ...options.context, 'aws:cdk:bundling-stacks': [] },
  });
  const built = buildApp(app, { account: ACCOUNT, functions: options.functions, nag: options.nag ?? false });
  return { ...built, app };
}

const cache = new Map<string, { built: BuiltApp; app: App; survey: Template; edge: Template }>();

/** Templates of the default dev app (cached: synthesis takes a few seconds). */
export function templates(context: Record<string, unknown> = {}, functions?: readonly FunctionSpec[]) {
  const key = JSON.stringify({ context, functions });
  let hit = cache.get(key);
  if (!hit) {
    const built = testApp({ context, functions });
    hit = { built, app: built.app, survey: Template.fromStack(built.survey), edge: Template.fromStack(built.edge) };
    cache.set(key, hit);
  }
  return hit;
}

export type Resources = Record<string, { Type: string; Properties?: any; [k: string]: any }>;

export function resourcesOf(t: Template, type: string): Resources {
  return t.findResources(type) as Resources;
}

export function logicalIdOf(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}

/** The IAM policy statements attached to a role (all of its inline default policies). */
export function statementsOfRole(t: Template, stack: Stack, role: IConstruct): any[] {
  const roleId = logicalIdOf(stack, role);
  const out: any[] = [];
  for (const policy of Object.values(resourcesOf(t, 'AWS::IAM::Policy'))) {
    const roles: any[] = policy.Properties.Roles ?? [];
    if (roles.some((r) => r.Ref === roleId)) out.push(...policy.Properties.PolicyDocument.Statement);
  }
  const inline = resourcesOf(t, 'AWS::IAM::Role')[roleId]?.Properties?.Policies ?? [];
  for (const p of inline) out.push(...p.PolicyDocument.Statement);
  return out;
}

export const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export interface NagOutcome {
  /** Findings not acknowledged (should be none). */
  readonly violations: { rule: string; paths: string[] }[];
  /** Acknowledgements that matched a finding: rule id -> construct paths. */
  readonly used: Map<string, Set<string>>;
  /** Every acknowledgement in the tree: `${path} ${id}` -> reason. */
  readonly acknowledgements: Map<string, { path: string; id: string; reason: string }>;
}

/** Runs the cdk-nag packs over an app's tree directly and records which acknowledgements were needed. */
export function runNag(app: App): NagOutcome {
  app.synth(); // runs preparation (cross-region readers, BucketDeployment handlers) and the validation hooks
  const used = new Map<string, Set<string>>();
  const violations: { rule: string; paths: string[] }[] = [];
  for (const pack of nagPacks()) {
    const p = pack as any;
    const original = p.isAcknowledged.bind(p);
    p.isAcknowledged = (node: IConstruct, ruleId: string) => {
      // Find which construct on the path holds the acknowledgement.
      let current: IConstruct | undefined = node;
      while (current) {
        for (const entry of current.node.metadata) {
          if (entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY && entry.data) {
            const ids = Object.keys(entry.data).map((k) => k.replace(/^annotation::/i, ''));
            if (ids.includes(ruleId)) {
              const key = `${current.node.path} ${ruleId}`;
              if (!used.has(key)) used.set(key, new Set());
              used.get(key)!.add(node.node.path);
              return true;
            }
          }
        }
        current = current.node.scope;
      }
      return original(node, ruleId);
    };
    const report = pack.validateScope(app);
    for (const v of report.violations) {
      violations.push({ rule: v.ruleName, paths: v.violatingResources.map((r) => r.constructPath ?? '') });
    }
  }
  const acknowledgements = new Map<string, { path: string; id: string; reason: string }>();
  for (const c of app.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || !entry.data) continue;
      for (const [k, v] of Object.entries(entry.data as Record<string, unknown>)) {
        const id = k.replace(/^annotation::/i, '');
        const reason = typeof v === 'string' ? v : String((v as { reason?: string })?.reason ?? JSON.stringify(v));
        acknowledgements.set(`${c.node.path} ${id}`, { path: c.node.path, id, reason });
      }
    }
  }
  return { violations, used, acknowledgements };
}
