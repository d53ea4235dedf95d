// Request body limits, in a module of their own so that clients (gdc) size their requests from
// the same numbers without loading the server (`@gdc/api/body-limits`).

/**
 * Largest accepted /graphql request body: small enough to refuse abuse, big enough for an
 * ingestDynamics chunk of ~100 k cells with short keys (~80 bytes of JSON a cell). Clients that
 * send dynamics as JSON split by bytes against it (gdc import-dynamics --transport graphql).
 */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;
