import { z } from 'zod';
import { type AnySchema, baseOf, defOf } from './schema-inspect.ts';

type Issue = z.core.$ZodIssue;

/**
 * A zod issue in plain words (`expected a number >= 1`), using the setting's schema to
 * state the whole expectation rather than only the check that failed.
 */
export function describeIssue(issue: Issue, setting: AnySchema | undefined): string {
  const base = setting ? baseOf(setting) : undefined;
  switch (issue.code) {
    case 'invalid_type':
      return expectedType(issue.expected, base);
    case 'too_small':
    case 'too_big':
      return describeBound(issue, base);
    case 'invalid_value':
      return `expected one of: ${issue.values.map(String).join(', ')}`;
    case 'invalid_format':
      if (issue.format === 'regex') {
        return issue.message.startsWith('Invalid')
          ? `expected text matching ${issue.pattern}`
          : issue.message;
      }
      return `expected a valid ${issue.format}`;
    case 'not_multiple_of':
      return `expected a multiple of ${issue.divisor}`;
    case 'unrecognized_keys':
      return `unknown keys: ${issue.keys.join(', ')}`;
    case 'invalid_union':
      return describeUnion(issue);
    default:
      return issue.message;
  }
}

function expectedType(expected: string, base: AnySchema | undefined): string {
  switch (expected) {
    case 'number':
    case 'int':
      return base && defOf(base).type === 'number' ? numberExpectation(base) : 'expected a number';
    case 'bigint':
      return 'expected a whole number';
    case 'boolean':
      return 'expected true or false (also yes/no, on/off, 1/0)';
    case 'string':
      return 'expected text';
    case 'array':
      return 'expected a comma-separated list';
    case 'object':
    case 'record':
      return 'expected a JSON object';
    default:
      return `expected ${expected}`;
  }
}

function describeBound(
  issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig,
  base: AnySchema | undefined,
): string {
  const small = issue.code === 'too_small';
  const limit = small ? issue.minimum : issue.maximum;
  switch (issue.origin) {
    case 'number':
    case 'int':
    case 'bigint':
      if (base && defOf(base).type === 'number') return numberExpectation(base);
      return `expected a number ${small ? '>' : '<'}${issue.inclusive ? '=' : ''} ${limit}`;
    case 'array':
    case 'set':
      return `expected ${small ? 'at least' : 'at most'} ${limit} item${Number(limit) === 1 ? '' : 's'}`;
    case 'string':
      return `expected ${small ? 'at least' : 'at most'} ${limit} character${Number(limit) === 1 ? '' : 's'}`;
    default:
      return issue.message;
  }
}

/** `expected an integer between 0 and 65535`, `expected a number >= 1`, ... */
function numberExpectation(schema: AnySchema): string {
  // JSON Schema is zod's public account of a number's checks (bounds, integer or not).
  const json = z.toJSONSchema(schema) as {
    type?: string;
    minimum?: number;
    maximum?: number;
    exclusiveMinimum?: number;
    exclusiveMaximum?: number;
  };
  const noun = json.type === 'integer' ? 'an integer' : 'a number';
  // z.int() carries the safe-integer range as bounds; those are not worth stating.
  const min = json.minimum !== undefined && json.minimum > Number.MIN_SAFE_INTEGER ? json.minimum : undefined;
  const max = json.maximum !== undefined && json.maximum < Number.MAX_SAFE_INTEGER ? json.maximum : undefined;
  if (min !== undefined && max !== undefined) return `expected ${noun} between ${min} and ${max}`;
  if (min !== undefined) return `expected ${noun} >= ${min}`;
  if (max !== undefined) return `expected ${noun} <= ${max}`;
  if (json.exclusiveMinimum !== undefined) return `expected ${noun} > ${json.exclusiveMinimum}`;
  if (json.exclusiveMaximum !== undefined) return `expected ${noun} < ${json.exclusiveMaximum}`;
  return `expected ${noun}`;
}

function describeUnion(issue: z.core.$ZodIssueInvalidUnion): string {
  const reasons = new Set(issue.errors.flat().map((inner) => describeIssue(inner, undefined)));
  return reasons.size > 0 ? [...reasons].join(', or ') : issue.message;
}
