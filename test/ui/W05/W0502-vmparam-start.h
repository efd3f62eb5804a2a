/*
 * amd64 virtual address map:
 *
 * 0x0000000000000000 - 0x00007fffffffffff   user map
 * 0xffff800000000000 - 0xffff804020100fff   recursive page table (512GB slot)
 * 0xffff804020100fff - 0xffff807fffffffff   unused
 */
