/* files.h: the URL space of files.fcgi, as every responder's table lists it (RF_SPACE).
 * lighttpd resolves . and .. segments before it picks a responder, so a raw path under
 * /files/ with such a segment may reach any responder: each answers it with files' own 400. */
#ifndef FILES_FILES_H
#define FILES_FILES_H
#include "route.h"

#define FILES_PATTERN "/files/{file_path:path}"
#define FILES_BAD_PATH "Invalid file path"
/* The entry to end another responder's route table with. */
#define FILES_SPACE { "GET", FILES_PATTERN, RF_SPACE, .bad_path = FILES_BAD_PATH }

#endif
