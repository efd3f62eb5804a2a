/*
 * 0xFFFFFFFF.FFC00000  |-----------------------|- ARGSBASE
 *			|	debugger	|
 * 0xFFFFFFFF.FF800000  |-----------------------|- SEGDEBUGBASE
 *			|      Kernel Data
 * 0xFFFFFFFF.FB800000  |-----------------------|- KERNEL_TEXT
 */
