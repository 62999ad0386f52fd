/*
 * fuzz_b64.c — the strict base64 decoder used by AUTH (b64.h).
 *
 * Whatever decodes must be canonical: encoding the result gives back the
 * input exactly.  Whatever is refused must not write past the buffer (the
 * output buffer is exactly B64_DECODED_MAX of the input).  And encoding the
 * raw input always decodes back to it.
 */
#include <stdlib.h>

#include "b64.h"
#include "fuzz.h"
#include "poison.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *out, *back;
	char	*enc;
	size_t	 len, blen;

	if (size > 4096)
		return 0;
	out = malloc(B64_DECODED_MAX(size));
	enc = malloc(B64_ENCODED_SIZE(size > B64_DECODED_MAX(size) ? size :
	    B64_DECODED_MAX(size)));
	back = malloc(B64_DECODED_MAX(B64_ENCODED_SIZE(size)));
	FUZZ_CHECK(out != NULL && enc != NULL && back != NULL);
	if (b64_decode((const char *)data, size, out, B64_DECODED_MAX(size),
	    &len)) {
		FUZZ_CHECK(len <= size / 4 * 3);
		b64_encode(out, len, enc, B64_ENCODED_SIZE(len));
		FUZZ_CHECK(strlen(enc) == size &&
		    memcmp(enc, data, size) == 0);
	}
	b64_encode(data, size, enc, B64_ENCODED_SIZE(size));
	FUZZ_CHECK(b64_decode(enc, strlen(enc), back,
	    B64_DECODED_MAX(strlen(enc)), &blen) && blen == size &&
	    memcmp(back, data, size) == 0);
	free(out);
	free(enc);
	free(back);
	return 0;
}
