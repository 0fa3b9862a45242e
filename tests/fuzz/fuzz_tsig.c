/* libFuzzer target: BIND key files (helpers/dnsrr/tsig.c). Every '@' of the
 * input becomes a known secret, so the fuzzer can put a secret anywhere a
 * mangled file might; no error may quote 4 bytes of it in a row. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../helpers/dnsrr/tsig.h"

static const char secret[] = "Qz7xWvK9pRt2Yd4NmUo8Ej6Hs3Lg5Fb1";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
leaks(const char *why)
{
	for (size_t i = 0; i + 4 <= sizeof(secret) - 1; i++)
		for (const char *w = why; *w; w++)
			if (strncmp(w, &secret[i], 4) == 0)
				return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tsig_key k;
	char why[256];
	char *text;
	size_t n = 0;

	if (size > 4096 || (text = malloc(size * (sizeof(secret) - 1) + 1)) == NULL)
		return 0;
	for (size_t i = 0; i < size; i++)
		if (data[i] == '@') {
			memcpy(text + n, secret, sizeof(secret) - 1);
			n += sizeof(secret) - 1;
		} else
			text[n++] = (char)data[i];
	why[0] = '\0';
	if (tsig_parse(text, n, NULL, &k, why, sizeof(why)) == 0) {
		size_t l = strlen(k.name);

		if (l == 0 || k.name[l - 1] != '.' || k.secret[0] == '\0' || k.algorithm[0] == '\0')
			abort();
	} else if (k.secret[0] != '\0' || why[0] == '\0' || leaks(why))
		abort();
	free(text);
	return 0;
}
