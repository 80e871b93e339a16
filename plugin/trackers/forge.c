/*
 * forge.c: code the GitHub and Gitea backends share (being written).
 */
#include "internal.h"
#include "forge_int.h"

typedef int cl__forge_placeholder;
