"""Musical and file-format constants with their units. Nothing here changes at run time.

Defaults and limits a user meets (tempo range, bars, epochs, effect levels…) are in
:mod:`lofi.core.settings`.
"""

from __future__ import annotations

SAMPLE_RATE = 44_100  # Hz, every stem and mix
CHANNELS = 2  # stereo
TICKS_PER_BEAT = 480  # MIDI pulses per quarter note
BEATS_PER_BAR = 4  # lofi is in 4/4
RING_OVER = 0.5  # beats a last note may ring past the bar line without adding a bar
DRUM_CHANNEL = 9  # zero-based index of General MIDI channel 10

# Melody durations in quarter notes; every note is snapped to the nearest bin.
DURATION_BINS: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0)
# Upper edges of the MIDI velocity bins; a bin plays at its centre. The drums' loudness, and
# that of the melody, bass and comping models trained before relative loudness.
VELOCITY_EDGES: tuple[int, ...] = (40, 56, 72, 88, 104, 127)
VELOCITY_CENTRES: tuple[int, ...] = (32, 48, 64, 80, 96, 112)
# Relative loudness of the melody, bass and comping: a note's velocity over its line's median
# velocity in its piece, in bins an eighth of an octave apart (×0.5 … ×1.83). A song plays a
# ratio at NOMINAL_VELOCITY times it; its timing feel then sets each part's median level.
RELATIVE_VELOCITY: tuple[float, ...] = tuple(round(2 ** (k / 8), 3) for k in range(-8, 8))
NOMINAL_VELOCITY = 80
# Chord durations in beats.
CHORD_DURATION_BINS: tuple[float, ...] = (1.0, 2.0, 3.0, 4.0, 6.0, 8.0)

MELODY_PITCH_MIN = 48  # C3: lower notes fold up an octave
MELODY_PITCH_MAX = 96  # C7: higher notes fold down
LEGACY_MELODY_PITCH_MAX = 84  # C6: the melody models trained before relative loudness
POSITIONS_PER_BAR = 16  # sixteenth-note grid for the bar-position input

TARGET_LUFS = -14.0  # integrated loudness of the master
TRUE_PEAK_DBTP = -1.0  # ceiling for the master's true peak

FORMAT_VERSION = 1  # vocab.json, meta.json and recipe.json
PARSER_VERSION = 3  # bump when parsing changes so cached pieces are rebuilt

RENDER_TIMEOUT_S = 120.0  # one song, all parts
RENDER_MEMORY_BYTES = 4 * 1024**3  # address-space cap of the render worker

# Drums: one step per sixteenth; how far a hit sits from its step, in beats (bin centres).
DRUM_STEPS_PER_BAR = 16
DRUM_TIMING_BINS: tuple[float, ...] = (-0.1, -0.075, -0.05, -0.025, 0.0, 0.025, 0.05, 0.075, 0.1)

# Bass: key-normalised pitches fold into this range; a lowest line at or above the split is
# not a bass (a melody playing alone). General MIDI programs 32–39 are the basses.
BASS_PITCH_MIN = 24  # C1
BASS_PITCH_MAX = 59  # B3
BASS_SPLIT = 60  # C4
BASS_PROGRAMS = range(32, 40)

# Accompaniment: one step per sixteenth; a struck chord is a voicing (semitones above the
# chord root, the lowest folded into the first octave) played from an octave of the root.
COMP_STEPS_PER_BAR = 16
COMP_OCTAVES: tuple[int, ...] = (2, 3, 4, 5, 6)  # MIDI octave of the voicing's root
COMP_MAX_NOTES = 6  # a struck chord keeps its lowest six notes
COMP_MAX_SPAN = 36  # semitones a voicing may span above the root
COMP_VOICINGS = 64  # the voicing vocabulary: the most common shapes of the training corpus
