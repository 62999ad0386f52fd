/*
 * poison.h — functions tambo never calls.
 *
 * Included last in every .c file, after the system headers, so the compiler
 * refuses any later use of these names.  See STYLE: unbounded copies, the
 * shell, non-local jumps and unchecked integer parsing have safer
 * replacements in this tree (buf.h, num.h).
 */
#ifndef TAMBO_POISON_H
#define TAMBO_POISON_H
/* Fortified headers may define some of these as macros: drop them. */
#ifdef strcpy
#undef strcpy
#endif
#ifdef strcat
#undef strcat
#endif
#ifdef sprintf
#undef sprintf
#endif
#ifdef vsprintf
#undef vsprintf
#endif
#ifdef gets
#undef gets
#endif
#ifdef strtok
#undef strtok
#endif
#ifdef strncpy
#undef strncpy
#endif
#ifdef atoi
#undef atoi
#endif
#ifdef alloca
#undef alloca
#endif
#ifdef system
#undef system
#endif
#ifdef popen
#undef popen
#endif
#ifdef setjmp
#undef setjmp
#endif
#ifdef longjmp
#undef longjmp
#endif
#pragma GCC poison strcpy strcat sprintf vsprintf gets strtok strncpy atoi
#pragma GCC poison alloca system popen setjmp longjmp
#endif
