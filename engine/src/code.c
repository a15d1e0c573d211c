/* FXR/1 code names and texts, generated from FXR_CODE_LIST. */
#include "fxr/code.h"

static const char *const code_names[FXR_CODE_COUNT] = {
#define FXR_CODE_NAME(name, value, text) [value] = #name,
	FXR_CODE_LIST(FXR_CODE_NAME)
#undef FXR_CODE_NAME
};

static const char *const code_texts[FXR_CODE_COUNT] = {
#define FXR_CODE_TEXT(name, value, text) [value] = text,
	FXR_CODE_LIST(FXR_CODE_TEXT)
#undef FXR_CODE_TEXT
};

const char *fxr_code_name(uint16_t code)
{
	return code < FXR_CODE_COUNT ? code_names[code] : "UNKNOWN";
}

const char *fxr_code_text(uint16_t code)
{
	return code < FXR_CODE_COUNT ? code_texts[code] : "unknown code";
}
