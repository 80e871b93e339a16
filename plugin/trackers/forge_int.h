/*
 * forge_int.h: what the GitHub and Gitea backends share (being written).
 */
#ifndef CL_FORGE_INT_H
#define CL_FORGE_INT_H
#endif
