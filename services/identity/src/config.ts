import { type BaseConfig, baseConfig, parseEnv, serviceEnv } from '@tongban/service-kit';
import { Type } from 'typebox';

const Env = Type.Object({ ...serviceEnv(3001) });

export type IdentityConfig = BaseConfig;

/** Pure: the caller hands in the environment and the working directory. */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): IdentityConfig {
  return baseConfig('identity', parseEnv(Env, env), env, cwd);
}
