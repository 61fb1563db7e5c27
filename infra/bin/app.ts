#!/usr/bin/env node
// The CDK app: `-c stage=dev|prod` (default dev). Two stacks per stage:
//   Survey-<stage>-edge  (us-east-1): the CloudFront WAF web ACL
//   Survey-<stage>       (eu-north-1): everything else
// SKIP_RUST_BUILD=1 synthesizes without building the Rust functions (bundling skipped).
import { App } from 'aws-cdk-lib';
import { buildApp } from '../lib/app';

const app = new App({
  // The CLI refuses `-c aws:...` keys, so the no-build switch comes in through the
  // environment and is applied after the CLI's context.
  postCliContext: process.env.SKIP_RUST_BUILD ? { 'aws:cdk:bundling-stacks': [] } : undefined,
});
buildApp(app, { account: process.env.CDK_DEFAULT_ACCOUNT });
app.synth();
