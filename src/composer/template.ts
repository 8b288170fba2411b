// The dump's name from COMP_FILENAME_TEMPLATE: "{var}" placeholders as in the Rust original (also
// "{{var}}", as Helm users often write it). Every value, and the literal text, is made path- and
// S3-key-safe: the name becomes file names in CORE_DIR and keys in the bucket.

export const TEMPLATE_VARS = [
  'uuid', 'timestamp', 'hostname', 'exe_name', 'pid', 'signal', 'limit_size', 'pathname',
  'namespace', 'podname', 'container',
] as const;
export type TemplateVar = (typeof TEMPLATE_VARS)[number];
export type TemplateValues = Partial<Record<TemplateVar, string | number | undefined>>;

const MAX_VALUE = 64; // per value: a 4 KB exe name must not swallow the rest of the name
const MAX_NAME = 160; // leaves room for suffixes such as "-12-image-info.json" and ".zip.upload.json" under 255

/** Keeps [A-Za-z0-9._-]; anything else (slashes, dots runs, newlines, junk) becomes "_". */
export function safeSegment(value: string, max = MAX_VALUE): string {
  return value.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/\.{2,}/g, '_').slice(0, max);
}

export interface RenderedName {
  readonly name: string;
  readonly problems: string[];
}

export function renderName(template: string, values: TemplateValues, fallback: string): RenderedName {
  const problems: string[] = [];
  const parts: string[] = [];
  let last = 0;
  const re = /\{\{\s*([A-Za-z_]+)\s*\}\}|\{\s*([A-Za-z_]+)\s*\}/g;
  for (let m = re.exec(template); m; m = re.exec(template)) {
    parts.push(safeSegment(template.slice(last, m.index), MAX_NAME));
    const key = (m[1] ?? m[2]) as TemplateVar;
    if (!(TEMPLATE_VARS as readonly string[]).includes(key)) problems.push(`unknown template variable {${key}}`);
    const v = values[key];
    parts.push(v === undefined || v === '' ? 'unknown' : safeSegment(String(v)));
    last = m.index + m[0].length;
  }
  parts.push(safeSegment(template.slice(last), MAX_NAME));
  // No hidden files and nothing that looks like a flag at the start of the whole name.
  let name = parts.join('').replace(/^[.-]+/, '_').slice(0, MAX_NAME);
  if (!/[A-Za-z0-9]/.test(name)) {
    problems.push(`template ${JSON.stringify(template.slice(0, 80))} gave no usable name; using the uuid`);
    name = safeSegment(fallback);
  }
  return { name, problems };
}

const UUID_VAR = /\{\{\s*uuid\s*\}\}|\{\s*uuid\s*\}/;

/**
 * A name that no other dump can have: a template without {uuid} would let two crashes of the same
 * program in the same second overwrite each other (in S3 and in the spool), so the uuid is added.
 */
export function uniqueName(template: string, name: string, uuid: string): { name: string; problem?: string } {
  if (UUID_VAR.test(template)) return { name };
  const suffix = `-${safeSegment(uuid)}`;
  return {
    name: `${name.slice(0, MAX_NAME - suffix.length)}${suffix}`,
    problem: `template ${JSON.stringify(template.slice(0, 80))} has no {uuid}: "${suffix}" was added so that no dump replaces another`,
  };
}
