/**
 * What `logtap init` writes for a DBA (src/cli/commands/init.ts): the statements that let a least-privilege role run
 * a connector on this source, found by a read-only look at it. The connector (connectors/<db>/setup-plan.ts) knows
 * its database's statements; the core only renders them.
 */
export interface SetupPlan {
  /** The database's name for the script's header, e.g. `PostgreSQL 15.19`. */
  server: string;
  /** Statements to run as an administrator, in order, each with the reason it is there. */
  statements: SetupStatement[];
  /** Server settings to change in the server's configuration (restart needed), with why. */
  settings: { name: string; value: string; current: string; why: string }[];
  /** `namespace.table` of every table the connector would capture by default. */
  tables: string[];
  /** What the role's connection URL looks like, with `${VAR}` standing for the password. */
  url: string;
  /** The environment variable the URL's password comes from. */
  passwordVariable: string;
  /** How to run the script (the client command line). */
  howToRun: string;
}

export interface SetupStatement {
  sql: string;
  why: string;
}

export interface SetupPlanOptions {
  /** The role (PostgreSQL) or user (MySQL/MariaDB) logtap will run as. */
  role: string;
  /** Config `name`: the publication and slot derive from it. */
  name: string;
}

/** The script a DBA runs: a header saying what it is for, then each statement after a comment with its reason. */
export function renderSetupScript(plan: SetupPlan, header: string[]): string {
  const lines = header.map((l) => `-- ${l}`);
  lines.push(`-- Run it as an administrator: ${plan.howToRun}`, '');
  if (plan.settings.length > 0) {
    lines.push('-- Server settings to change first (in the server\'s configuration; a restart is needed):');
    for (const s of plan.settings) lines.push(`--   ${s.name} = ${s.value}   (now ${s.current}: ${s.why})`);
    lines.push('');
  }
  for (const statement of plan.statements) lines.push(`-- ${statement.why}`, `${statement.sql};`, '');
  return `${lines.join('\n').trimEnd()}\n`;
}
