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
#pragma GCC poison strcpy strcat sprintf vsprintf gets strtok strncpy atoi
#ifdef alloca
#undef alloca
#endif
#pragma GCC poison alloca system popen setjmp longjmp
#endif
