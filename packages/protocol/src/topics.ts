/**
 * Topic and consumer-group names. Every name carries a prefix so several crawls or
 * tenants can share one cluster (`acme.todo`, `acme-crawlers`).
 */
export const TOPIC_ROLES = ['todo', 'events', 'schedule', 'pages', 'items', 'jobs', 'dlq'] as const;
export type TopicRole = (typeof TOPIC_ROLES)[number];

export type TopicNames = Readonly<Record<TopicRole, string>>;

export const DEFAULT_TOPIC_PREFIX = 'kraul';

const PREFIX_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

export function topicNames(prefix: string = DEFAULT_TOPIC_PREFIX): TopicNames {
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new RangeError(
      `topic prefix ${JSON.stringify(prefix)} is not valid: use letters, digits, '.', '_' and '-', starting with a letter or digit`,
    );
  }
  return {
    todo: `${prefix}.todo`,
    events: `${prefix}.events`,
    schedule: `${prefix}.schedule`,
    pages: `${prefix}.pages`,
    items: `${prefix}.items`,
    jobs: `${prefix}.jobs`,
    dlq: `${prefix}.dlq`,
  };
}

export const GROUP_ROLES = ['crawlers', 'strategy', 'frontier'] as const;
export type GroupRole = (typeof GROUP_ROLES)[number];

export function groupId(prefix: string, role: GroupRole): string {
  return `${prefix}-${role}`;
}
