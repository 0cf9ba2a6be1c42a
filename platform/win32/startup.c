/*
 * Start-up of every program of the Windows build (linked into each .exe by `make
 * windows`): files, and the standard streams, are binary as on POSIX, so that no CRLF or
 * Ctrl-Z translation ever touches ciphertext, a config or plaintext written to stdout.
 * (mingw-w64's binmode.o does not reach the runtime's _fmode when linked statically.)
 */
#include <fcntl.h>
#include <io.h>
#include <stdlib.h>

void veilfs_win32_startup(void) __attribute__((constructor));

void veilfs_win32_startup(void)
{
	_fmode = _O_BINARY;
	(void)_setmode(0, _O_BINARY);
	(void)_setmode(1, _O_BINARY);
	(void)_setmode(2, _O_BINARY);
}
