import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { KraulError } from '@kraul/protocol';

/**
 * A frontier's data folder is kraul's only when it says so: a manifest file names the format
 * version and the topic prefix (and, for `kraul run`, the job) of the state inside. kraul
 * writes into, reuses and clears only such a folder (or an empty one it may claim), and it
 * deletes only the files it knows by name: a folder that holds anything else is refused.
 */
export const DATA_DIR_MANIFEST = 'kraul-state.json';

/** The layout of the folder this kraul writes; a newer one is refused, never rewritten. */
export const DATA_DIR_FORMAT_VERSION = 1;

const MANIFEST_TEMP = `${DATA_DIR_MANIFEST}.tmp`;
const MANIFEST_KIND = 'kraul-frontier-state';

/** The sqlite file of one partition's shard. */
export function shardFileName(partition: number): string {
  return `frontier-${partition}.sqlite`;
}

const SHARD_FILE = /^frontier-(\d+)\.sqlite(?:-wal|-shm|-journal)?$/;

/** The shard database itself (not its -wal/-shm companions) and its partition, or undefined. */
export function shardPartitionOf(name: string): number | undefined {
  const match = /^frontier-(\d+)\.sqlite$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** A file name kraul writes into a data folder: the manifest, shard databases and their sqlite companions. */
export function isKraulStateFile(name: string): boolean {
  return name === DATA_DIR_MANIFEST || name === MANIFEST_TEMP || SHARD_FILE.test(name);
}

export interface DataDirManifest {
  kind: typeof MANIFEST_KIND;
  version: number;
  /** Topic prefix whose state the shards hold: the partitions of `<prefix>.schedule`. */
  prefix: string;
  /** The job of a `kraul run` folder; absent for a cluster frontier's folder, which holds every job. */
  job?: string;
  createdAt: string;
}

/**
 * A data folder kraul will not use: a file, a folder with content it did not write, the state
 * of another prefix or job, a manifest it cannot read. The message is one line naming the
 * folder and what to do.
 */
export class DataDirError extends KraulError {}

export const DATA_DIR_ERROR_CODES = {
  notFolder: 'store.data_dir_not_folder',
  foreign: 'store.data_dir_foreign',
  otherPrefix: 'store.data_dir_other_prefix',
  otherJob: 'store.data_dir_other_job',
  badManifest: 'store.data_dir_bad_manifest',
  tooNew: 'store.data_dir_too_new',
  empty: 'store.data_dir_empty',
  unusable: 'store.data_dir_unusable',
} as const;

export interface DataDirOptions {
  /** Topic prefix of the state: a folder of another prefix is refused. */
  prefix: string;
  /** For `kraul run`: the job whose state the folder holds; a folder of another job is refused. */
  job?: string;
  /** How the folder is named in messages. Default: `--data-dir=<path>`. */
  label?: string;
}

export interface ClaimedDataDir {
  /** The folder as given. */
  path: string;
  /** The folder the path leads to (a symlinked data dir is used where it points). */
  realPath: string;
  manifest: DataDirManifest;
  /** A folder of an older kraul (shard files, no manifest) whose manifest was written now. */
  adopted: boolean;
  /** Files deleted by `fresh`, by name. */
  removed: string[];
}

/**
 * Makes `path` the state folder of `options.prefix` (and job): creates it when missing, writes
 * the manifest into an empty folder or one that holds only kraul's own files, and accepts one
 * whose manifest matches. With `fresh`, deletes kraul's files in it (never anything else, never
 * the folder) and starts a new manifest. Throws a DataDirError, having changed nothing, for
 * everything else.
 */
export function claimDataDir(path: string, options: DataDirOptions & { fresh?: boolean }): ClaimedDataDir {
  const label = options.label ?? `--data-dir=${path}`;
  const realPath = ensureFolder(path, label);
  const survey = surveyFolder(realPath, label);
  let manifest = survey.manifest;
  if (manifest) checkOwner(manifest, options, label, realPath);

  const removed: string[] = [];
  if (options.fresh) {
    // Shards first, manifest last: a stop half-way leaves a folder still marked as kraul's.
    const shards = survey.entries.filter((name) => name !== DATA_DIR_MANIFEST);
    for (const name of [...shards, ...survey.entries.filter((name) => name === DATA_DIR_MANIFEST)]) {
      removeOwnFile(realPath, name, label);
      removed.push(name);
    }
    manifest = undefined;
  }
  const adopted = !manifest && !options.fresh && survey.entries.length > 0;
  if (!manifest) {
    manifest = {
      kind: MANIFEST_KIND,
      version: DATA_DIR_FORMAT_VERSION,
      prefix: options.prefix,
      ...(options.job === undefined ? {} : { job: options.job }),
      createdAt: new Date().toISOString(),
    };
    writeManifest(realPath, manifest, label);
  }
  return { path, realPath, manifest, adopted, removed };
}

export interface InspectedDataDir {
  path: string;
  realPath: string;
  /** Undefined for a folder of an older kraul: shard files and nothing else. */
  manifest: DataDirManifest | undefined;
  /** Shard databases (`frontier-<p>.sqlite`) in the folder. */
  shardFiles: { name: string; partition: number }[];
}

/**
 * Checks, without writing anything, that `path` holds kraul state of `options.prefix`: for
 * readers such as `kraul status --data-dir`. A folder of an older kraul (only kraul's files,
 * no manifest) is read as it is; a missing, empty or foreign folder is refused.
 */
export function inspectDataDir(path: string, options: DataDirOptions): InspectedDataDir {
  const label = options.label ?? `--data-dir=${path}`;
  let realPath: string;
  try {
    realPath = realpathSync(path);
  } catch (error) {
    throw unusable(label, path, error);
  }
  if (!lstatSync(realPath).isDirectory()) throw notFolder(label, path);
  const survey = surveyFolder(realPath, label);
  if (survey.manifest) checkOwner(survey.manifest, options, label, realPath);
  else if (survey.entries.length === 0) {
    throw new DataDirError(
      DATA_DIR_ERROR_CODES.empty,
      `${label}: no kraul state here (no ${DATA_DIR_MANIFEST} and no shard files)`,
      { path },
    );
  }
  const shardFiles = survey.entries.flatMap((name) => {
    const partition = shardPartitionOf(name);
    return partition === undefined ? [] : [{ name, partition }];
  });
  shardFiles.sort((a, b) => a.partition - b.partition);
  return { path, realPath, manifest: survey.manifest, shardFiles };
}

/** The folder's real path, created when missing; refuses a file or anything else not a folder. */
function ensureFolder(path: string, label: string): string {
  let stat: ReturnType<typeof lstatSync> | undefined;
  try {
    stat = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw unusable(label, path, error);
  }
  if (stat === undefined) {
    try {
      mkdirSync(path, { recursive: true });
    } catch (error) {
      throw unusable(label, path, error);
    }
  }
  let realPath: string;
  try {
    realPath = realpathSync(path);
  } catch (error) {
    // A symlink whose target is missing: kraul does not create folders at the far end of a link.
    throw unusable(label, path, error);
  }
  if (!lstatSync(realPath).isDirectory()) throw notFolder(label, path);
  return realPath;
}

interface FolderSurvey {
  /** Every entry, all of them kraul's own regular files (anything else was refused). */
  entries: string[];
  manifest: DataDirManifest | undefined;
}

function surveyFolder(realPath: string, label: string): FolderSurvey {
  let names: string[];
  try {
    names = readdirSync(realPath).sort();
  } catch (error) {
    throw unusable(label, realPath, error);
  }
  // A name kraul writes but held by a link, a folder or a device is not kraul's either: kraul
  // writes regular files only, and deleting through a link could reach anything.
  const foreign = names.filter((name) => !isKraulStateFile(name) || !isRegularFile(join(realPath, name)));
  if (foreign.length > 0) {
    const shown =
      foreign.slice(0, 3).join(', ') + (foreign.length > 3 ? `, … (${foreign.length} in all)` : '');
    throw new DataDirError(
      DATA_DIR_ERROR_CODES.foreign,
      `${label}: refusing a folder that holds files kraul did not write (${shown}); use an empty folder or one kraul created`,
      { path: realPath, foreign: foreign.slice(0, 20) },
    );
  }
  const manifest = names.includes(DATA_DIR_MANIFEST) ? readManifest(realPath, label) : undefined;
  return { entries: names, manifest };
}

function isRegularFile(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}

function readManifest(realPath: string, label: string): DataDirManifest {
  const file = join(realPath, DATA_DIR_MANIFEST);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new DataDirError(
      DATA_DIR_ERROR_CODES.badManifest,
      `${label}: ${DATA_DIR_MANIFEST} is not a kraul state manifest (${(error as Error).message}); the folder is left as it is`,
      { path: file },
      { cause: error },
    );
  }
  const record = parsed as Partial<DataDirManifest> | null;
  if (
    typeof record !== 'object' ||
    record === null ||
    record.kind !== MANIFEST_KIND ||
    !Number.isInteger(record.version) ||
    typeof record.prefix !== 'string' ||
    (record.job !== undefined && typeof record.job !== 'string')
  ) {
    throw new DataDirError(
      DATA_DIR_ERROR_CODES.badManifest,
      `${label}: ${DATA_DIR_MANIFEST} is not a kraul state manifest (expected kind "${MANIFEST_KIND}", a version and a prefix); the folder is left as it is`,
      { path: file },
    );
  }
  if ((record.version as number) > DATA_DIR_FORMAT_VERSION) {
    throw new DataDirError(
      DATA_DIR_ERROR_CODES.tooNew,
      `${label}: the folder was written by a newer kraul (state format ${record.version}; this one knows ${DATA_DIR_FORMAT_VERSION})`,
      { path: file, version: record.version },
    );
  }
  return record as DataDirManifest;
}

function checkOwner(manifest: DataDirManifest, options: DataDirOptions, label: string, path: string): void {
  if (manifest.prefix !== options.prefix) {
    throw new DataDirError(
      DATA_DIR_ERROR_CODES.otherPrefix,
      `${label}: the folder holds the state of topic prefix "${manifest.prefix}", not "${options.prefix}"; give each prefix its own data folder`,
      { path, folderPrefix: manifest.prefix, prefix: options.prefix },
    );
  }
  if (options.job === undefined || manifest.job === options.job) return;
  const holds =
    manifest.job === undefined ? "a cluster frontier's state" : `the state of job "${manifest.job}"`;
  throw new DataDirError(
    DATA_DIR_ERROR_CODES.otherJob,
    `${label}: the folder holds ${holds}, not of job "${options.job}"; use another --data-dir`,
    { path, folderJob: manifest.job, job: options.job },
  );
}

function removeOwnFile(realPath: string, name: string, label: string): void {
  // Checked again right before: only a regular file of a name kraul writes is ever deleted.
  const file = join(realPath, name);
  if (!isKraulStateFile(name) || !isRegularFile(file)) {
    throw new DataDirError(DATA_DIR_ERROR_CODES.foreign, `${label}: ${name} is not a file kraul wrote`, {
      path: file,
    });
  }
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw unusable(label, file, error);
  }
}

function writeManifest(realPath: string, manifest: DataDirManifest, label: string): void {
  const temp = join(realPath, MANIFEST_TEMP);
  try {
    writeFileSync(temp, `${JSON.stringify(manifest, null, 2)}\n`, { flag: 'w' });
    renameSync(temp, join(realPath, DATA_DIR_MANIFEST));
  } catch (error) {
    throw unusable(label, realPath, error);
  }
}

function notFolder(label: string, path: string): DataDirError {
  return new DataDirError(
    DATA_DIR_ERROR_CODES.notFolder,
    `${label}: not a folder; kraul keeps its state in a folder of its own and leaves this file as it is`,
    { path },
  );
}

function unusable(label: string, path: string, error: unknown): DataDirError {
  const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  const text: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOENT: 'no such file or folder',
    ENOTDIR: 'a part of the path is a file, not a folder',
    EROFS: 'read-only file system',
    ELOOP: 'too many symbolic links',
  };
  return new DataDirError(
    DATA_DIR_ERROR_CODES.unusable,
    `${label}: cannot use the folder: ${text[reason] ?? (error as Error).message} (${path})`,
    { path },
    { cause: error },
  );
}
