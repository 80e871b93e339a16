/*
 * github.c: the github tracker backend (being written).
 */
#include "internal.h"
#include <closeloop/sys/tracker.h>

int cl_tracker_backend_github(cl_tracker_backend **out,
	const cl_tracker_settings *settings)
{
	(void)settings;
	*out = NULL;
	return cl__error(CL_ECONFIG,
		"tracker type 'github' is not supported by this build yet");
}
