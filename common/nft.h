/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libnftables, for the programs that own a table (clearnet-nsd, clearnet-filter): load a
 * ruleset as one atomic transaction, list or delete a table. No other table is touched. */
#pragma once

struct nft;

/* libnftables, loaded, with a context for the netns the calling thread is in now (its
 * netlink socket is bound there). Kept for one bring-up, repair or load, then closed: an
 * idle daemon holds none and has the library unloaded. */
int nft_open(struct nft **ret);
void nft_closep(struct nft **nft);
#define _cleanup_nft_ _cleanup_(nft_closep)

/* Apply ruleset text as one transaction. On failure ret_error (may be NULL) gets nft's
 * first error line. */
int nft_apply(struct nft *nft, const char *ruleset, char **ret_error);
/* `list table inet NAME` as text; -ENOENT when absent. */
int nft_list_table(struct nft *nft, const char *table, char **ret);
/* Delete table inet NAME if present. */
int nft_delete_table(struct nft *nft, const char *table, char **ret_error);
/* nftables works here at all (module present, permission)? */
int nft_probe(struct nft *nft, char **ret_error);
