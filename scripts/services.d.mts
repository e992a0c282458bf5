// Types for scripts/services.mjs (plain JavaScript so that it runs before `npm ci` has built anything).
export declare const urls: {
  LOGTAP_TEST_PG_URL: string;
  LOGTAP_TEST_MYSQL_URL: string;
  LOGTAP_TEST_KAFKA_BROKERS: string;
  LOGTAP_TEST_REGISTRY_URL: string;
};
export declare const envFile: string;
export declare class SetupError extends Error {}
export declare function up(): Promise<typeof urls>;
export declare function down(options?: { purge?: boolean }): Promise<void>;
export declare function status(): Promise<Record<string, string>>;
export declare function allRunning(): Promise<boolean>;
export declare function kafkaJavaArgs(mainClass: string, args: string[], options: { logsDir: string; jvm?: string[] }): string[];
export declare function kafkaServerProperties(options: { port: number; controllerPort: number; dataDir: string }): string;
export declare function kafkaBrokerReady(brokers: string): Promise<boolean>;
export declare function assembleKafka(): Promise<void>;
export declare const PG_VERSIONS: string[];
/** The server binaries of a major (14–18), or of the system's install when `version` is undefined. */
export declare function pgBindir(version?: string): string;
export interface PgServer {
  name: string;
  url: string;
  up(): Promise<string>;
  down(): Promise<string>;
  status(): Promise<string>;
}
export declare function pgServer(options: { dir: string; port: number; version?: string }): PgServer;
