// cdk-nag 3.x: rule packs are CDK policy-validation plugins; findings that are not
// acknowledged fail synth (ValidationFailed). Every acknowledgement carries a reason
// and sits next to the construct it is about.
import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';

export function addNagChecks(scope: IConstruct): void {
  Validations.of(scope).addPlugins(new AwsSolutionsChecks(scope), new ServerlessChecks(scope));
}

/** Acknowledges one finding (`AwsSolutions-IAM5[Resource::...]` or a whole rule id) on a construct and its children. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** The rule packs, for tests that want the findings as data. */
export function nagPacks(): (AwsSolutionsChecks | ServerlessChecks)[] {
  return [new AwsSolutionsChecks(), new ServerlessChecks()];
}
