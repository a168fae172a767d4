//! [`EncoderContext`]: the whole encode stage of a stream, in the style of rav1e's `Context`
//! (`send_frame` / `receive_packet` / `finish`): one video encoder, and the audio source and
//! audio encoder, on one timeline. Offline renders, live streams, the benchmarks and the tests
//! all encode through it.
//!
//! The audio timeline rule lives here: frame `n` owns the samples
//! `round(n·48000/fps) .. round((n+1)·48000/fps)`, so audio never drifts from video however
//! long it runs, and a frame a live stream dropped (a gap in the frame numbers) still gets its
//! sound.

use std::collections::VecDeque;

use super::{
    AUDIO_RATE, AudioCodec, AudioEncoder, EncodeError, Packet, VIDEO_TIMESCALE, VideoEncoder,
    VideoSettings, new_audio_encoder, new_video_encoder,
};
use crate::assets::AssetResolver;
use crate::audio::{AudioClips, Mixer, frame_samples};
use crate::error::Error;
use crate::frame::YuvFrame;
use crate::mux::StreamInfo;
use crate::scene::Scene;

/// Audio settings of a stream.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AudioSettings {
    /// Codec.
    pub codec: AudioCodec,
    /// Bitrate, kbit/s.
    pub bitrate_kbps: u32,
}

/// Where an [`EncoderContext`] takes its sound from when it has no scene: stereo samples at
/// [`AUDIO_RATE`], asked for in order, `start` counting samples from the first frame.
///
/// Any `FnMut(u64, &mut [f32], &mut [f32]) + Send` is one.
pub trait AudioSource: Send {
    /// Fills `left` and `right` (the same length) with the samples from `start` on.
    fn fill(&mut self, start: u64, left: &mut [f32], right: &mut [f32]);
}

impl<F: FnMut(u64, &mut [f32], &mut [f32]) + Send> AudioSource for F {
    fn fill(&mut self, start: u64, left: &mut [f32], right: &mut [f32]) {
        self(start, left, right)
    }
}

/// The sound of the audio track: the scene's audio layers mixed, or a caller's source.
enum Sound {
    Scene(Mixer),
    Source(Box<dyn AudioSource>),
}

impl Sound {
    fn fill(&mut self, start: u64, left: &mut [f32], right: &mut [f32]) {
        match self {
            Sound::Scene(mixer) => mixer.mix(start, left, right),
            Sound::Source(source) => {
                left.fill(0.0);
                right.fill(0.0);
                source.fill(start, left, right)
            }
        }
    }
}

/// The audio track: its sound, its encoder and how far it has got.
struct AudioTrack {
    sound: Sound,
    encoder: Box<dyn AudioEncoder>,
    /// Samples encoded so far (on the scene timeline).
    done: u64,
    /// AAC's priming is not signalled by our containers: the sound is taken that far ahead so
    /// that decoded sound lines up with the picture.
    priming: u64,
    left: Vec<f32>,
    right: Vec<f32>,
}

/// Encodes a stream: video frames in, packets of both tracks out.
///
/// [`send_frame`](EncoderContext::send_frame) encodes a frame and the audio up to its end;
/// [`receive_packet`](EncoderContext::receive_packet) hands out what is ready, in the order it
/// was made (each track's timestamps rise; encoders delay video by different amounts, so
/// outputs interleave the tracks); [`finish`](EncoderContext::finish) flushes both encoders.
///
/// ```
/// use streamcomp_core::{encode::AudioCodec, encode::AudioSettings, encode::EncoderContext, encode::Track, encode::VideoSettings, YuvFrame};
///
/// let settings = VideoSettings::new(64, 64, 30.0);
/// let audio = AudioSettings { codec: AudioCodec::Aac, bitrate_kbps: 128 };
/// let silence = |_start: u64, _l: &mut [f32], _r: &mut [f32]| {};
/// let mut ctx = EncoderContext::new(&settings)?.with_audio_source(audio, silence)?;
/// let frame = YuvFrame::new(64, 64);
/// let mut packets = Vec::new();
/// for _ in 0..30 {
///     ctx.send_frame(&frame)?;
///     packets.extend(ctx.packets());
/// }
/// ctx.finish()?;
/// packets.extend(ctx.packets());
/// assert_eq!(packets.iter().filter(|p| p.track == Track::Video).count(), 30);
/// assert!(packets.iter().any(|p| p.track == Track::Audio));
/// # Ok::<(), streamcomp_core::Error>(())
/// ```
pub struct EncoderContext {
    video: VideoSettings,
    encoder: Box<dyn VideoEncoder>,
    audio: Option<AudioTrack>,
    /// The number of the next frame [`EncoderContext::send_frame`] sends.
    next_frame: u64,
    finished: bool,
    ready: VecDeque<Packet>,
}

impl std::fmt::Debug for EncoderContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncoderContext")
            .field("video", &self.video)
            .field("audio", &self.audio.as_ref().map(|a| a.encoder.codec()))
            .field("next_frame", &self.next_frame)
            .finish_non_exhaustive()
    }
}

impl EncoderContext {
    /// A video-only context. The settings are checked and the encoder opened now.
    pub fn new(video: &VideoSettings) -> Result<EncoderContext, Error> {
        Ok(EncoderContext {
            video: video.clone(),
            encoder: new_video_encoder(video)?,
            audio: None,
            next_frame: 0,
            finished: false,
            ready: VecDeque::new(),
        })
    }

    /// A context for `scene`: video, and with `audio` a track of the scene's audio layers
    /// mixed. Audio files are decoded now, so a missing one is an error before any frame is
    /// made (naming its layer: `layers[3].src: …`).
    pub fn for_scene(
        video: &VideoSettings,
        audio: Option<AudioSettings>,
        scene: &Scene,
        assets: &AssetResolver,
    ) -> Result<EncoderContext, Error> {
        // The audio files first: a missing one is the error even when the encoder would fail.
        let audio = audio
            .map(|a| Ok::<_, Error>((a, Mixer::new(scene, assets)?)))
            .transpose()?;
        let ctx = EncoderContext::new(video)?;
        match audio {
            Some((a, mixer)) => ctx.with_sound(a, Sound::Scene(mixer)),
            None => Ok(ctx),
        }
    }

    /// The same with an audio track taken from `source`.
    pub fn with_audio_source(
        self,
        audio: AudioSettings,
        source: impl AudioSource + 'static,
    ) -> Result<EncoderContext, Error> {
        self.with_sound(audio, Sound::Source(Box::new(source)))
    }

    fn with_sound(mut self, a: AudioSettings, sound: Sound) -> Result<EncoderContext, Error> {
        let encoder = new_audio_encoder(a.codec, a.bitrate_kbps)?;
        let chunk = (AUDIO_RATE as f64 / self.video.fps).ceil() as usize + 1;
        self.audio = Some(AudioTrack {
            sound,
            priming: u64::from(encoder.priming()),
            encoder,
            done: 0,
            left: vec![0.0; chunk],
            right: vec![0.0; chunk],
        });
        Ok(self)
    }

    /// The video settings in force.
    pub fn settings(&self) -> &VideoSettings {
        &self.video
    }

    /// What muxers and publishers need to know before the first packet: size, rate, codecs
    /// and the audio encoder's configuration.
    pub fn stream_info(&self) -> StreamInfo {
        StreamInfo {
            width: self.video.width,
            height: self.video.height,
            fps: self.video.fps,
            video: self.video.codec,
            audio: self
                .audio
                .as_ref()
                .map(|a| (a.encoder.codec(), a.encoder.config().to_vec())),
            keyframe_interval: self.video.keyframe_interval,
        }
    }

    /// The audio files the scene's mixer has decoded (shared: files decoded into it elsewhere
    /// are found here); `None` without a scene audio track.
    pub(crate) fn audio_clips(&self) -> Option<AudioClips> {
        match &self.audio.as_ref()?.sound {
            Sound::Scene(mixer) => Some(mixer.clips()),
            Sound::Source(_) => None,
        }
    }

    /// Lets the audio of each frame wait at most `wait` for a video layer's sound decoder
    /// (live streams); by default it waits until the sound is there (renders are exact).
    pub(crate) fn set_video_wait(&mut self, wait: Option<std::time::Duration>) {
        if let Some(AudioTrack {
            sound: Sound::Scene(mixer),
            ..
        }) = &mut self.audio
        {
            mixer.set_video_wait(wait);
        }
    }

    /// Mixes input layers' sound from `hub`'s live inputs (live streams).
    pub(crate) fn set_inputs(&mut self, hub: Option<crate::input::InputHub>) {
        if let Some(AudioTrack {
            sound: Sound::Scene(mixer),
            ..
        }) = &mut self.audio
        {
            mixer.set_inputs(hub);
        }
    }

    /// Takes in the audio layers of a changed scene (decoding new sources). Does nothing
    /// without a scene audio track.
    pub fn update_scene(&mut self, scene: &Scene, assets: &AssetResolver) -> Result<(), Error> {
        if let Some(AudioTrack {
            sound: Sound::Scene(mixer),
            ..
        }) = &mut self.audio
        {
            mixer.update(scene, assets)?;
        }
        Ok(())
    }

    /// Encodes the next frame (one after the last sent, the first being frame 0) and the
    /// audio up to its end.
    pub fn send_frame(&mut self, frame: &YuvFrame) -> Result<(), EncodeError> {
        self.send_frame_at(self.next_frame, frame)
    }

    /// Encodes frame `n` (its time is `n / fps`) and the audio up to its end. Frame numbers
    /// must rise; a gap (a frame a live stream dropped) is a gap in the picture, never in the
    /// sound.
    pub fn send_frame_at(&mut self, n: u64, frame: &YuvFrame) -> Result<(), EncodeError> {
        if self.finished {
            return Err(EncodeError::Invalid(
                "the encoder is finished; it takes no more frames".into(),
            ));
        }
        let pts = (n as f64 * VIDEO_TIMESCALE as f64 / self.video.fps).round() as i64;
        self.encoder.send_frame(Some(frame), pts)?;
        self.take_video()?;
        self.encode_audio_until(frame_samples(n + 1, self.video.fps))?;
        self.next_frame = n + 1;
        Ok(())
    }

    /// The next packet ready, if any.
    pub fn receive_packet(&mut self) -> Option<Packet> {
        self.ready.pop_front()
    }

    /// Every packet ready, taken.
    pub fn packets(&mut self) -> impl Iterator<Item = Packet> + '_ {
        self.ready.drain(..)
    }

    /// Flushes both encoders; their last packets become ready. Frames sent after this are
    /// refused.
    pub fn finish(&mut self) -> Result<(), EncodeError> {
        if self.finished {
            return Ok(());
        }
        self.finished = true;
        self.encoder.send_frame(None, 0)?;
        self.take_video()?;
        if let Some(a) = &mut self.audio {
            self.ready.extend(a.encoder.finish()?);
        }
        Ok(())
    }

    fn take_video(&mut self) -> Result<(), EncodeError> {
        while let Some(p) = self.encoder.receive_packet()? {
            self.ready.push_back(p);
        }
        Ok(())
    }

    fn encode_audio_until(&mut self, until: u64) -> Result<(), EncodeError> {
        let Some(a) = &mut self.audio else {
            return Ok(());
        };
        while a.done < until {
            let len = ((until - a.done) as usize).min(a.left.len());
            let (l, r) = (&mut a.left[..len], &mut a.right[..len]);
            a.sound.fill(a.done + a.priming, l, r);
            self.ready.extend(a.encoder.encode(l, r)?);
            a.done += len as u64;
        }
        Ok(())
    }
}
