import { type BaseConfig, baseConfig, parseEnv, serviceEnv } from '@tongban/service-kit';
import { Type } from 'typebox';

const Env = Type.Object({ ...serviceEnv(3002) });

export type WorkflowConfig = BaseConfig;

/** Pure: the caller hands in the environment and the working directory. */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): WorkflowConfig {
  return baseConfig('workflow', parseEnv(Env, env), env, cwd);
}
