/*
 *			+-----------------------+
 *			|      Kernel Text	|
 * 0xFFFFFFFF.FB8000000 |-----------------------|- KERNEL_TEXT
 *			|      Core heap	|
 * 0xFFFFFFFF.C0000000  |-----------------------|- core_base
 *			|	 Kernel heap	|
 * 0xFFFFFF00.00000000  |-----------------------|
 */
