import { ConfigError } from '@tongban/service-kit';

/**
 * A service's public base URLs from its environment (comma separated, e.g. its own address and the
 * portal's `/api/<service>`): what every proof's `htu` is compared with. Trailing slashes are
 * dropped; anything that is not an http(s) URL stops the service at start.
 */
export function parsePublicUrls(variable: string, value: string): readonly string[] {
  const urls = value
    .split(',')
    .map((u) => u.trim().replace(/\/+$/, ''))
    .filter(Boolean);
  const problems = urls
    .filter((url) => !/^https?:\/\/[^/]+/.test(url))
    .map((url) => `${variable}: not an http(s) URL: ${url}`);
  if (urls.length === 0) problems.push(`${variable}: names no URL`);
  if (problems.length > 0) throw new ConfigError(problems);
  return urls;
}
