// Per-stage settings, read from CDK context (`-c stage=prod`, `-c mailDomain=...`).
import type { Node } from 'constructs';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

export type Stage = 'dev' | 'prod';

/** The app's home region (Stockholm): all data stays here. WAF for CloudFront must live in us-east-1. */
export const HOME_REGION = 'eu-north-1';
export const EDGE_REGION = 'us-east-1';

export interface StageConfig {
  readonly stage: Stage;
  readonly isProd: boolean;
  /** Prefix of physical names: `survey-dev`, `survey-prod`. */
  readonly prefix: string;
  /** Domain of the SES identity the `register` and `results` functions send from. */
  readonly mailDomain: string;
  /** Optional custom domain of the site (then also `siteCertificateArn`, an ACM certificate in us-east-1). */
  readonly siteDomain?: string;
  readonly siteCertificateArn?: string;
  /**
   * Version id of the origin secret to use (after changing the secret by hand); unset,
   * the current version. CloudFormation re-reads a dynamic reference only for a resource
   * whose template changes, and this changes CloudFront's and the functions'.
   */
  readonly originSecretVersion?: string;
  /** Optional e-mail address subscribed to the alarm topic. */
  readonly alarmEmail?: string;
  /** The wave the static page's demo (`?demo=1`) shows; written to the site's config.json. */
  readonly demoSurveyId: string;
  /** Stage-wide API throttling (requests per second, burst). */
  readonly apiRateLimit: number;
  readonly apiBurstLimit: number;
  /** WAF rate-based rule: requests per IP in a 5-minute window to registrations and results. */
  readonly wafRateLimit: number;
  /** WAF rate-based rule: requests per IP in a 5-minute window to code validation and answers together. */
  readonly wafCodeRateLimit: number;
  /**
   * Caps each function's reserved concurrency (dev accounts often have a small
   * concurrency quota); 0 reserves none.
   */
  readonly maxReservedConcurrency: number;
  readonly logRetention: RetentionDays;
}

/**
 * A setting: from the command line (`-c key=value`), else from the stage's block in
 * cdk.json (`"stages": {"prod": {"mailDomain": ...}}`), else the built-in default.
 */
function str(node: Node, key: string): string | undefined {
  const given = node.tryGetContext(key);
  if (given !== undefined && given !== null && given !== '') return String(given);
  if (key === 'stage') return undefined;
  const stage = String(node.tryGetContext('stage') ?? 'dev');
  const stages = (node.tryGetContext('stages') ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const v = stages[stage]?.[key];
  if (v === undefined || v === null || v === '') return undefined;
  return String(v);
}

function num(node: Node, key: string, fallback: number, min = 1): number {
  const v = str(node, key);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`context ${key} must be an integer >= ${min}, got ${v}`);
  return n;
}

export function stageConfig(node: Node): StageConfig {
  const stage = str(node, 'stage') ?? 'dev';
  if (stage !== 'dev' && stage !== 'prod') {
    throw new Error(`context stage must be dev or prod, got ${stage}`);
  }
  const isProd = stage === 'prod';
  const siteDomain = str(node, 'siteDomain');
  const siteCertificateArn = str(node, 'siteCertificateArn');
  if ((siteDomain === undefined) !== (siteCertificateArn === undefined)) {
    throw new Error('context siteDomain and siteCertificateArn go together (an ACM certificate in us-east-1)');
  }
  return {
    stage,
    isProd,
    prefix: `survey-${stage}`,
    mailDomain: str(node, 'mailDomain') ?? 'undersokelse.example.no',
    siteDomain,
    siteCertificateArn,
    alarmEmail: str(node, 'alarmEmail'),
    originSecretVersion: str(node, 'originSecretVersion'),
    demoSurveyId: str(node, 'surveyId') ?? '2026',
    apiRateLimit: num(node, 'apiRateLimit', isProd ? 200 : 20),
    apiBurstLimit: num(node, 'apiBurstLimit', isProd ? 400 : 40),
    wafRateLimit: num(node, 'wafRateLimit', 300),
    wafCodeRateLimit: num(node, 'wafCodeRateLimit', 600),
    maxReservedConcurrency: num(node, 'maxReservedConcurrency', isProd ? 1000 : 5, 0),
    logRetention: isProd ? RetentionDays.THREE_MONTHS : RetentionDays.TWO_WEEKS,
  };
}
