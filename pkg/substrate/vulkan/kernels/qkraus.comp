#version 450
#extension GL_GOOGLE_include_directive : require
// See qdyn.glsl: the Kraus operations (3 kraus, 5 apply).
#define KRAUS
#include "qdyn.glsl"
