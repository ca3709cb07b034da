/**
 * A small IAM evaluator for the synthesized template, so tests ask "may this role do X to Y?" rather
 * than compare JSON. It knows only what the stack uses; anything else (an unknown condition operator,
 * an intrinsic it cannot resolve) throws, so a test can never pass by not understanding a policy.
 */

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';

type Json = unknown;
type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, Json> }> };

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** Resolves the intrinsics CDK emits into plain strings (ARNs of this stack's own resources). */
export function resolve(template: Template, value: Json): Json {
  if (Array.isArray(value)) return value.map((v) => resolve(template, v));
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, Json>;
  const keys = Object.keys(obj);
  if (keys.length === 1 && keys[0] === 'Ref') return ref(template, obj.Ref as string);
  if (keys.length === 1 && keys[0] === 'Fn::GetAtt') {
    const [id, attr] = obj['Fn::GetAtt'] as [string, string];
    return getAtt(template, id, attr);
  }
  if (keys.length === 1 && keys[0] === 'Fn::Join') {
    const [sep, parts] = obj['Fn::Join'] as [string, Json[]];
    return parts.map((p) => String(resolve(template, p))).join(sep);
  }
  if (keys.some((k) => k.startsWith('Fn::'))) throw new Error(`cannot resolve ${JSON.stringify(obj)}`);
  return Object.fromEntries(keys.map((k) => [k, resolve(template, obj[k])]));
}

function resource(template: Template, id: string) {
  const r = template.Resources[id];
  if (!r) throw new Error(`no resource ${id}`);
  return r;
}

function ref(template: Template, id: string): string {
  if (id === 'AWS::Partition') return 'aws';
  if (id === 'AWS::Region') return REGION;
  if (id === 'AWS::AccountId') return ACCOUNT;
  const r = resource(template, id);
  switch (r.Type) {
    case 'AWS::SSM::Parameter':
      return String(r.Properties!.Name);
    case 'AWS::IAM::OIDCProvider':
      return `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
    case 'AWS::ElasticLoadBalancingV2::TargetGroup':
      return `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/${id}/0123456789abcdef`;
    default:
      throw new Error(`cannot resolve Ref ${id} (${r.Type})`);
  }
}

function getAtt(template: Template, id: string, attr: string): string {
  const r = resource(template, id);
  if (r.Type === 'AWS::SQS::Queue' && attr === 'Arn')
    return `arn:aws:sqs:${REGION}:${ACCOUNT}:${String(r.Properties!.QueueName)}`;
  if (r.Type === 'AWS::S3::Bucket' && attr === 'Arn') return `arn:aws:s3:::${id.toLowerCase()}`;
  if (r.Type === 'AWS::IAM::OIDCProvider' && attr === 'Arn')
    return `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
  throw new Error(`cannot resolve GetAtt ${id}.${attr} (${r.Type})`);
}

/** Every statement of every policy attached to the role: inline, AWS::IAM::Policy, managed (refused). */
export function roleStatements(template: Template, roleId: string): Statement[] {
  const role = resource(template, roleId);
  if (role.Properties!.ManagedPolicyArns !== undefined)
    throw new Error(`${roleId} has managed policies: this evaluator cannot see what they allow`);
  const docs: Json[] = ((role.Properties!.Policies as { PolicyDocument: Json }[] | undefined) ?? []).map(
    (p) => p.PolicyDocument,
  );
  for (const r of Object.values(template.Resources)) {
    if (r.Type !== 'AWS::IAM::Policy' && r.Type !== 'AWS::IAM::ManagedPolicy') continue;
    const roles = (r.Properties!.Roles as { Ref: string }[] | undefined) ?? [];
    if (roles.some((x) => x.Ref === roleId)) docs.push(r.Properties!.PolicyDocument);
  }
  return docs.flatMap((d) => (resolve(template, d) as { Statement: Statement[] }).Statement);
}

const list = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v]);

function glob(pattern: string, value: string, ignoreCase = false): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    ignoreCase ? 'i' : '',
  );
  return re.test(value);
}

/** `${key}` policy variables from the request context; undefined when one is missing (no match). */
function substitute(s: string, ctx: RequestContext): string | undefined {
  let missing = false;
  const out = s.replace(/\$\{([^}]+)\}/g, (_, key: string) => {
    const v = ctx[key];
    if (typeof v !== 'string') {
      missing = true;
      return '';
    }
    return v;
  });
  return missing ? undefined : out;
}

export type RequestContext = Record<string, string | string[] | undefined>;

function conditionHolds(op: string, key: string, wanted: string[], ctx: RequestContext): boolean {
  const present = ctx[key];
  const values = present === undefined ? [] : list(present);
  const patterns = wanted.map((w) => substitute(w, ctx));
  const match = (v: string, like: boolean) =>
    patterns.some((p) => p !== undefined && (like ? glob(p, v) : p === v));
  switch (op) {
    case 'StringEquals':
    case 'ArnEquals':
    case 'Bool':
      return values.length > 0 && values.some((v) => match(v, false));
    case 'StringLike':
    case 'ArnLike':
      return values.length > 0 && values.some((v) => match(v, true));
    case 'ForAllValues:StringLike':
      return values.every((v) => match(v, true));
    case 'Null':
      return (present === undefined) === (wanted[0] === 'true');
    default:
      throw new Error(`condition operator ${op} is not understood by this evaluator`);
  }
}

function statementMatches(s: Statement, action: string, res: string, ctx: RequestContext): boolean {
  if (!list(s.Action).some((a) => glob(a, action, true))) return false;
  if (
    !list(s.Resource).some((r) => {
      const p = substitute(r, ctx);
      return p !== undefined && glob(p, res);
    })
  )
    return false;
  for (const [op, pairs] of Object.entries(s.Condition ?? {}))
    for (const [key, wanted] of Object.entries(pairs))
      if (!conditionHolds(op, key, list(wanted), ctx)) return false;
  return true;
}

/** Identity-policy decision: an Allow matches and no Deny does. */
export function allowed(
  statements: Statement[],
  action: string,
  res: string,
  ctx: RequestContext = {},
): boolean {
  const matching = statements.filter((s) => statementMatches(s, action, res, ctx));
  return matching.some((s) => s.Effect === 'Allow') && !matching.some((s) => s.Effect === 'Deny');
}

/** Trust-policy decision for one principal and action. */
export function trusts(
  template: Template,
  roleId: string,
  principal: Record<string, string>,
  action: string,
  ctx: RequestContext,
): boolean {
  const doc = resolve(template, resource(template, roleId).Properties!.AssumeRolePolicyDocument) as {
    Statement: (Statement & { Principal: Record<string, string | string[]> })[];
  };
  return doc.Statement.some(
    (s) =>
      s.Effect === 'Allow' &&
      Object.entries(principal).every(([k, v]) => list(s.Principal[k] ?? []).includes(v)) &&
      statementMatches({ ...s, Resource: '*' }, action, '*', ctx),
  );
}
