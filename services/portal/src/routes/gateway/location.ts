/**
 * A service's `Location` header as the browser must see it through the gateway at `prefix`
 * (`/api/<service>`). A path from the service's root (`/v1/cases/…`, `/docs/`) is a path on
 * the service, so it gets the prefix. Anything else is left alone: a full URL points where it
 * says, and a relative reference (`docs/`, `../x`, `?page=2`) resolves against the URL the
 * browser asked for, which already carries the prefix (RFC 9110 §10.2.2, RFC 3986 §5).
 */
export function locationThroughGateway(location: string, prefix: string): string {
  return location.startsWith('/') ? `${prefix}${location}` : location;
}
