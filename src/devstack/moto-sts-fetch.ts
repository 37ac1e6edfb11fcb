/**
 * moto in server mode tells services apart by the `Authorization` header; a presigned `GetCallerIdentity` GET has
 * none, so moto would answer it as S3. The local stack's decision verifier sends it with a header naming the query's
 * credential scope. moto does not check signatures: on the local stack a signed decision shows the flow and the ARN
 * moto reports, not a proof of identity (the local stack accepts unsigned decisions anyway).
 */

/** A `fetch` that lets moto recognise a presigned STS request. */
export const motoStsFetch: typeof fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const credential = url.searchParams.get('X-Amz-Credential') ?? '';
  const headers = new Headers(init?.headers);
  headers.set('authorization', `AWS4-HMAC-SHA256 Credential=${credential}, SignedHeaders=host, Signature=0`);
  return fetch(input, { ...init, headers });
};
