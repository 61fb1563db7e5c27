// Builds both stacks of a stage into an app, with cdk-nag checks (used by bin/app.ts and the tests).
import { Tags, type App } from 'aws-cdk-lib';
import { EDGE_REGION, HOME_REGION, stageConfig, type StageConfig } from './config';
import { EdgeStack } from './edge-stack';
import type { FunctionSpec } from './functions';
import { addNagChecks } from './nag';
import { SurveyStack } from './survey-stack';

export interface BuildOptions {
  readonly account?: string;
  readonly functions?: readonly FunctionSpec[];
  /** Default true. */
  readonly nag?: boolean;
}

export interface BuiltApp {
  readonly config: StageConfig;
  readonly edge: EdgeStack;
  readonly survey: SurveyStack;
}

export function buildApp(app: App, options: BuildOptions = {}): BuiltApp {
  const config = stageConfig(app.node);
  const name = `Survey-${config.stage}`;
  const edge = new EdgeStack(app, `${name}-edge`, {
    config,
    env: { account: options.account, region: EDGE_REGION },
    crossRegionReferences: true,
    description: `Survey ${config.stage}: WAF web ACL for the CloudFront distribution (must be in us-east-1)`,
  });
  const survey = new SurveyStack(app, name, {
    config,
    env: { account: options.account, region: HOME_REGION },
    crossRegionReferences: true,
    webAclArn: edge.webAclArn,
    functions: options.functions,
    description: `Survey ${config.stage}: tables, functions, HTTP API, CloudFront site, SES, schedule, alarms`,
    terminationProtection: config.isProd,
  });
  survey.addStackDependency(edge);
  Tags.of(app).add('project', 'nasjonal-brukerundersokelse');
  Tags.of(app).add('stage', config.stage);
  if (options.nag ?? true) addNagChecks(app);
  return { config, edge, survey };
}
