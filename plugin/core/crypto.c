/*
 * crypto.c: the few primitives webhooks need, from OpenSSL's libcrypto:
 * SHA-256 (delivery ids from bodies), HMAC-SHA256 (signatures), and a
 * comparison whose time does not leak where two MACs differ.
 */
#include <stdint.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "internal.h"

int cl__sha256(unsigned char out[32], const void *data, size_t len)
{
	unsigned int n = 0;

	if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 || n != 32)
		return cl__error(CL_ERROR, "SHA-256 failed");
	return 0;
}

int cl__hmac_sha256(unsigned char out[32], const void *key, size_t key_len,
	const void *data, size_t len)
{
	unsigned int n = 0;

	if (key_len > INT32_MAX ||
	    HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &n) == NULL ||
	    n != 32)
		return cl__error(CL_ERROR, "HMAC-SHA256 failed");
	return 0;
}

void cl__hex(char *out, const unsigned char *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

int cl__consttime_eq(const void *a, size_t a_len, const void *b, size_t b_len)
{
	/* the lengths are public (a hex MAC is always 64 characters) */
	if (a_len != b_len)
		return 0;
	return CRYPTO_memcmp(a, b, a_len) == 0;
}
