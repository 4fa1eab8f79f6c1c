/** The environment that points the bot at a test simulator and a throwaway database. */
import type { DbConfig } from '../src/config.js';
import type { ExchangeEndpoints } from '../src/exchange/types.js';

export function botEnv(endpoints: ExchangeEndpoints, db: DbConfig): Record<string, string> {
  return {
    DCA_MODE: 'paper',
    APCA_API_KEY_ID: endpoints.keyId,
    APCA_API_SECRET_KEY: endpoints.secretKey,
    APCA_API_BASE_URL: endpoints.baseUrl,
    APCA_API_DATA_URL: endpoints.dataUrl,
    APCA_API_STREAM_URL: endpoints.streamUrl,
    APCA_API_DATA_STREAM_URL: endpoints.dataStreamUrl,
    ...dbEnv(db),
  };
}

/** Only the DB_* variables, for a bot whose exchange is handed to it in-process. */
export function dbEnv(db: DbConfig): Record<string, string> {
  return {
    DB_HOST: db.host,
    DB_PORT: String(db.port),
    DB_USER: db.user,
    DB_PASSWORD: db.password,
    DB_NAME: db.database,
  };
}
