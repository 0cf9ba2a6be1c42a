/*
 * The truncate copy of a file's new last block (docs/FORMAT.md, "Crashes"): a truncate down
 * to a short last block stores that block, sealed as the mount will find it, in this
 * attribute of the lower file before it cuts the file, writes the block in place after
 * the cut, and removes the attribute once the block is synced. A crash between the cut
 * and the write leaves a cut piece of the old block: the mount (vault/file_state.c) and
 * fsck (fsck/file.c) then open the last block from the copy, which must authenticate as
 * that block, final, with the stored length the lower size gives.
 */
#ifndef VEILFS_VAULT_FILE_TAIL_H
#define VEILFS_VAULT_FILE_TAIL_H

/* Not under NAMES_XATTR_PREFIX ("user.veilfs."): no sealed name can be equal to it. */
#define FILE_TAIL_XATTR "user.veilfs-tail"

#endif
