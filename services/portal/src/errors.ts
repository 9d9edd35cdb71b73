import { defineErrors } from '@tongban/service-kit';

/** The portal's own error codes: the gateway's. */
export const portalErrors = defineErrors('portal', {
  upstream_unavailable: {
    status: 502,
    title: 'Bad gateway',
    description: 'The portal gateway could not reach the service behind `/api/<service>`.',
  },
});

export const { problem } = portalErrors;
